/**
 * A swarm of n node apps on 127.0.0.1 without a chain: each a Member and a Coordinator behind createNodeApp,
 * peers over real HTTP (httpPeers), count rules, artifacts in memory unless given. For the gateway, overload and
 * openai-backend-against-the-gateway tests.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeApp } from "../../src/node/app.js";
import { RoundLimiter } from "../../src/node/limiter.js";
import { httpPeers } from "../../src/node/peers-http.js";
import { Coordinator, type CoordinatorOptions } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import type { Artifacts, Mind, NodeEntry } from "../../src/round/ports.js";
import { countRules } from "../kit/count-rules.js";
import { MemoryArtifacts, directoryOf, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN as domain, TEST_RECORDS as records } from "../kit/memory-node.js";

export interface HttpSwarm {
  nodes: NodeEntry[];
  /** Node 0's URL: its gateway takes the test's queries. */
  base: string;
  close(): Promise<void>;
}

export async function startHttpSwarm(opts: {
  n: number;
  mind: (i: number) => Mind;
  round: CoordinatorOptions;
  limiter: (i: number) => RoundLimiter;
  bodyLimit?: string;
  /** Where transcripts go (default: in memory). */
  artifacts?: Artifacts;
}): Promise<HttpSwarm> {
  const servers: Server[] = [];
  const nodes: NodeEntry[] = [];
  const artifacts = opts.artifacts ?? new MemoryArtifacts();
  const directory = directoryOf(nodes);
  const peers = httpPeers({ allowPrivate: ["127.0.0.0/8"] }); // every test node is on loopback
  for (const [i, signer] of makeSigners(opts.n).entries()) {
    const member = new Member({ domain, signer, directory, artifacts, rules: countRules, records, mind: opts.mind(i) });
    const coordinator = new Coordinator({ domain, signer, directory, peers, artifacts, rules: countRules, records, settle: async () => {} }, opts.round);
    const limiter = opts.limiter(i);
    const app = createNodeApp({
      address: signer.address,
      member,
      gateway: { ask: (q, o) => limiter.run(() => coordinator.run(q, o)), settlementStatus: async () => "queued", bodyLimit: opts.bodyLimit },
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    servers.push(server);
    nodes.push({ address: signer.address, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stake: 10n ** 20n, reputation: 500_000 });
  }
  return {
    nodes,
    base: nodes[0].endpoint,
    async close() {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      peers.close();
    },
  };
}
