import { expect } from "chai";
import { createMemoryStore, roundArtifacts } from "../../src/ipfs/index.js";
import { MemoryArtifacts } from "../kit/memory-round.js";

describe("ipfs / round protocol adapter", () => {
  it("speaks string CIDs, pins what the round writes, and agrees with the round tests' in-memory store", async () => {
    const store = createMemoryStore();
    const port = roundArtifacts(store);
    const transcript = { roundId: "0x01", queryCid: "bafy...", judgments: [{ a: "0x1", b: "0x2", outcome: "A" }] };
    const cid = await port.putJson(transcript);
    expect(cid).to.be.a("string");
    expect(await port.cidOf(transcript)).to.equal(cid);
    expect(await new MemoryArtifacts().cidOf(transcript)).to.equal(cid);
    expect(await port.getJson(cid)).to.deep.equal(transcript);
    expect(await store.isPinned(cid)).to.equal(true);
  });
});
