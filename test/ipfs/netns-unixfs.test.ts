/**
 * IPFS across hosts: a 20 MiB corpus file moved between two networked Helia nodes, each a process in its own
 * Linux network namespace (10.77.0.10 -> 10.77.0.11 over a private bridge: the only non-loopback addresses
 * bound, and they exist only inside the test's namespaces). Where namespaces cannot be made (not root, no
 * iproute2), the same transfer runs between 127.0.0.1 and 127.0.0.2 and the test title says so.
 */
import { expect } from "chai";
import { transferBetweenHosts } from "../../scripts/lib/ipfs-pair.js";

const SIZE = 20 * 1024 * 1024;

describe("ipfs / a 20 MiB UnixFS file between two hosts (network namespaces)", function () {
  this.timeout(300_000);

  it("node B reads node A's 20 MiB file over bitswap from A's own address, byte for byte", async function () {
    const r = await transferBetweenHosts(SIZE);
    if (r.mode !== "netns") this.test!.title += ` [fallback: ${r.addresses.join(" -> ")}: ${r.reason}]`;
    expect(r.bytes).to.equal(SIZE);
    expect(r.shaB).to.equal(r.shaA);
    expect(r.cid).to.match(/^bafybei/); // a dag-pb root: chunked, not one raw block
    expect(r.remoteAddr).to.contain(`/ip4/${r.addresses[0]}/tcp/`);
    if (r.mode === "netns") expect(r.addresses[0]).to.match(/^10\.77\.0\./);
  });
});
