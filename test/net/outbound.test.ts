/**
 * src/net against real HTTP servers on 127.0.0.1: the SSRF checks (an "internal service" the node must not
 * reach while the operator allowance is off), redirects never followed, bodies capped while they stream
 * (a server that would stream 512 MiB), only fixed reasons in errors; and the CLI's gateway clients
 * (`chorus ask`, `chorus audit`'s gateway reads) refusing a redirect and a body over the cap.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gatewayJson } from "../../src/audit/gateway-fetch.js";
import { main } from "../../src/cli/main.js";
import { ChorusError } from "../../src/core/index.js";
import { cidOfJson } from "../../src/ipfs/index.js";
import { AddressPolicy, netRequest, NET_REASONS, PUBLIC_ONLY } from "../../src/net/index.js";
import { httpPeers } from "../../src/node/peers-http.js";

interface Listener {
  url: string;
  hits: number;
  /** Bytes the server wrote (huge-body servers). */
  sent: number;
  closed: Promise<void>;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that answers every request with `respond`, counting requests. */
async function listen(
  respond: (req: http.IncomingMessage, res: http.ServerResponse, l: Listener) => void,
): Promise<Listener> {
  let resolveClosed!: () => void;
  const l: Listener = {
    url: "",
    hits: 0,
    sent: 0,
    closed: new Promise((r) => (resolveClosed = r)),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    l.hits++;
    res.on("close", () => resolveClosed());
    respond(req, res, l);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  l.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  l.close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return l;
}

/** Streams 64 KiB chunks until `total` bytes or the client goes away. */
function streamHuge(res: http.ServerResponse, l: Listener, total: number, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(200, { "content-type": "application/json", ...headers });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = () => {
    while (l.sent < total && !res.destroyed) {
      l.sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

const HUGE = 512 * 1024 * 1024;
const MiB = 1024 * 1024;

describe("net: outbound requests to chain and peer URLs", function () {
  this.timeout(60_000);

  it("classifies addresses: private, loopback, link-local, metadata, CGNAT, multicast, unspecified, ULA, mapped are refused; public ones pass", () => {
    const refused = [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fd00::1",
      "fc00::1",
      "fe80::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:169.254.169.254",
      "not-an-ip",
    ];
    for (const ip of refused) expect(PUBLIC_ONLY.permits(ip), ip).to.equal(false);
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect(PUBLIC_ONLY.permits(ip), ip).to.equal(true);
    const loopback = new AddressPolicy(["127.0.0.0/8"]);
    expect(loopback.permits("127.0.0.1")).to.equal(true);
    expect(loopback.permits("::ffff:127.0.0.1")).to.equal(true);
    expect(loopback.permits("169.254.169.254")).to.equal(false);
    expect(() => new AddressPolicy(["127.0.0.1"])).to.throw(/CIDR/);
  });

  it("an internal service on 127.0.0.1 is never reached while the allowance is off (by IP, by name, via a peer call); with it, it is", async () => {
    const internal = await listen((_req, res) =>
      res.end(JSON.stringify({ secret: "internal-admin-token", note: "ECONNREFUSED would be a port scan" })),
    );
    try {
      for (const url of [
        `${internal.url}/admin`,
        internal.url.replace("127.0.0.1", "localhost") + "/admin",
        internal.url.replace("127.0.0.1", "[::ffff:127.0.0.1]"),
      ]) {
        const err = await netRequest(url, { timeoutMs: 2000, maxBytes: 1024, policy: PUBLIC_ONLY }).then(
          () => null,
          (e) => e,
        );
        expect(err, url).to.be.instanceOf(ChorusError);
        expect(err.message, url).to.equal(NET_REASONS.private);
      }
      // The coordinator's peer transport: a member whose endpoint on chain is the internal service.
      const peers = httpPeers({ allowPrivate: [] });
      const err = await peers.post(internal.url, "/peer/v1/message", { kind: "x" }, { timeoutMs: 2000 }).then(
        () => null,
        (e) => e,
      );
      peers.close();
      expect(err).to.be.instanceOf(ChorusError).with.property("message", NET_REASONS.private);
      expect(internal.hits, "the internal service was reached").to.equal(0);
      // The operator allows loopback: now it is reached.
      const ok = await netRequest(internal.url, {
        timeoutMs: 2000,
        maxBytes: 1024,
        policy: new AddressPolicy(["127.0.0.0/8"]),
      });
      expect(ok.status).to.equal(200);
      expect(internal.hits).to.equal(1);
    } finally {
      await internal.close();
    }
  });

  it("failures carry a fixed reason only: no OS error text (ECONNREFUSED), no peer-written text", async () => {
    const policy = new AddressPolicy(["127.0.0.0/8"]);
    const closed = await listen(() => undefined);
    const url = closed.url;
    await closed.close();
    const refused = await netRequest(url, { timeoutMs: 2000, maxBytes: 1024, policy }).then(
      () => null,
      (e) => e,
    );
    expect(refused.message).to.equal(NET_REASONS.unreachable);
    expect(JSON.stringify(refused.toJSON())).to.not.match(/ECONNREFUSED/);

    const chatty = await listen(
      (_req, res) => (
        res.writeHead(403, { "content-type": "application/json" }),
        res.end(JSON.stringify({ error: { message: "<script>x</script> ".repeat(1000), code: "lowercase <b>" } }))
      ),
    );
    const peers = httpPeers({ allowPrivate: ["127.0.0.0/8"] });
    const err = await peers.post(chatty.url, "/peer/v1/message", {}, { timeoutMs: 2000 }).then(
      () => null,
      (e) => e,
    );
    expect(err.message).to.equal("bad status 403");
    const coded = await listen(
      (_req, res) => (
        res.writeHead(403, { "content-type": "application/json" }),
        res.end(JSON.stringify({ error: { message: "long text", code: "PEER_NOT_MEMBER" } }))
      ),
    );
    expect(
      (
        await peers.post(coded.url, "/p", {}, { timeoutMs: 2000 }).then(
          () => null,
          (e) => e,
        )
      ).message,
    ).to.equal("bad status 403 (PEER_NOT_MEMBER)");
    const silent = await listen(() => undefined);
    expect(
      (
        await peers.post(silent.url, "/p", {}, { timeoutMs: 200 }).then(
          () => null,
          (e) => e,
        )
      ).message,
    ).to.equal(NET_REASONS.timeout);
    peers.close();
    for (const l of [chatty, coded, silent]) await l.close();
  });

  it("never follows a redirect (not even to a public-looking place): the target is not asked", async () => {
    const target = await listen((_req, res) => res.end("{}"));
    const redirector = await listen((_req, res) => (res.writeHead(302, { location: `${target.url}/x` }), res.end()));
    const err = await netRequest(redirector.url, {
      timeoutMs: 2000,
      maxBytes: 1024,
      policy: new AddressPolicy(["127.0.0.0/8"]),
    }).then(
      () => null,
      (e) => e,
    );
    expect(err.message).to.equal(NET_REASONS.redirect);
    expect(target.hits).to.equal(0);
    await target.close();
    await redirector.close();
  });

  it("caps a body while it streams: a 512 MiB reply is cut at the cap, RSS does not grow with it", async () => {
    const huge = await listen((_req, res, l) => streamHuge(res, l, HUGE));
    const rss = process.memoryUsage().rss;
    const err = await netRequest(huge.url, {
      timeoutMs: 20_000,
      maxBytes: 4 * MiB,
      policy: new AddressPolicy(["127.0.0.0/8"]),
    }).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(ChorusError).with.property("message", NET_REASONS.tooLarge);
    await huge.closed;
    const grew = (process.memoryUsage().rss - rss) / MiB;
    // The server stops once the client hangs up: only the cap plus what the sockets' buffers held was sent.
    expect(huge.sent, `server sent ${huge.sent} bytes`).to.be.below(4 * MiB + 16 * MiB);
    expect(grew, `RSS grew ${grew.toFixed(1)} MiB`).to.be.below(48);
    console.log(
      `      measured: server sent ${(huge.sent / MiB).toFixed(1)} MiB of 512 before the client hung up; client RSS grew ${grew.toFixed(1)} MiB`,
    );
    await huge.close();
    // A declared Content-Length over the cap is refused before reading anything.
    const declared = await listen(
      (_req, res) => (res.writeHead(200, { "content-length": String(HUGE) }), res.write("x")),
    );
    const e2 = await netRequest(declared.url, {
      timeoutMs: 2000,
      maxBytes: 4 * MiB,
      policy: new AddressPolicy(["127.0.0.0/8"]),
    }).then(
      () => null,
      (e) => e,
    );
    expect(e2.message).to.equal(NET_REASONS.tooLarge);
    await declared.close();
  });

  describe("the CLI's gateway clients (chorus ask, chorus audit)", () => {
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
      return { code, out, err };
    };

    it("chorus ask refuses a redirect (the target is not asked) and a reply over 4 MiB, reading no more than the cap", async () => {
      const target = await listen((_req, res) => res.end("{}"));
      const redirector = await listen(
        (_req, res) => (res.writeHead(307, { location: `${target.url}/v1/chat/completions` }), res.end()),
      );
      const r1 = await cli(["--gateway", redirector.url, "ask", "hi"]);
      expect(r1.code).to.equal(1);
      expect(r1.err).to.deep.equal([`chorus: gateway ${redirector.url} answered with a redirect: not followed`]);
      expect(target.hits).to.equal(0);

      const huge = await listen((_req, res, l) => streamHuge(res, l, HUGE));
      const rss = process.memoryUsage().rss;
      const r2 = await cli(["--gateway", huge.url, "ask", "hi"]);
      await huge.closed;
      expect(r2.code).to.equal(1);
      expect(r2.err).to.deep.equal([`chorus: gateway ${huge.url} sent a reply over 4194304 bytes: refused`]);
      expect(huge.sent).to.be.below(4 * MiB + 16 * MiB);
      expect((process.memoryUsage().rss - rss) / MiB).to.be.below(48);
      for (const l of [target, redirector, huge]) await l.close();
    });

    it("chorus audit's gateway reads refuse a redirect and a body over the artifact limit", async () => {
      const cid = (await cidOfJson({ a: 1 })).toString();
      const target = await listen((_req, res) => res.end("{}"));
      const redirector = await listen(
        (_req, res) => (res.writeHead(301, { location: `${target.url}/ipfs/${cid}` }), res.end()),
      );
      const e1 = await gatewayJson(redirector.url)
        .getJson(cid)
        .then(
          () => null,
          (e) => e,
        );
      expect(e1).to.be.instanceOf(ChorusError).with.property("code", "GATEWAY_REDIRECT");
      expect(target.hits).to.equal(0);
      const huge = await listen((_req, res, l) => streamHuge(res, l, HUGE));
      const rss = process.memoryUsage().rss;
      const e2 = await gatewayJson(huge.url)
        .getJson(cid)
        .then(
          () => null,
          (e) => e,
        );
      await huge.closed;
      expect(e2).to.be.instanceOf(ChorusError).with.property("code", "IPFS_TOO_LARGE");
      expect(e2.message).to.match(/sent more than 4194304 bytes/);
      expect(huge.sent).to.be.below(4 * MiB + 16 * MiB);
      expect((process.memoryUsage().rss - rss) / MiB).to.be.below(48);
      for (const l of [target, redirector, huge]) await l.close();
    });
  });
});
