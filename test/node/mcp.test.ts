/**
 * Agents: an MCP client from the official SDK lists and calls the Chorus tools over streamable HTTP (the node's
 * `/mcp`) and over stdio (`chorus mcp`, spawned and stopped by PID); the A2A agent card is served at
 * /.well-known/agent.json. The swarm behind is a real 7-node gateway on 127.0.0.1.
 */
import { expect } from "chai";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { RoundLimiter } from "../../src/node/limiter.js";
import { hashApiKey } from "../../src/node/openai/access.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { closeStarted } from "../helpers/close.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TOOLS = ["ask", "audit_round", "node_info", "sources"];
const KEY = "sk-agent-key";

describe("MCP server and A2A agent card", function () {
  this.timeout(90_000);
  let swarm: HttpSwarm;

  before(async () => {
    swarm = await startHttpSwarm({
      n: 7,
      mind: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
      round: {
        committeeSize: 7,
        answerTimeoutMs: 2000,
        revealTimeoutMs: 2000,
        judgeTimeoutMs: 2000,
        signTimeoutMs: 2000,
      },
      limiter: () => new RoundLimiter(4, 8),
      access: { keyHashes: [hashApiKey(KEY)] },
    });
  });
  after(() => closeStarted(swarm));

  async function exercise(client: Client) {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).to.deep.equal(TOOLS);
    const ask = await client.callTool({ name: "ask", arguments: { question: "Tell me about the sea." } });
    expect(ask.isError, JSON.stringify(ask.content)).to.not.equal(true);
    const s = ask.structuredContent as { answer: string; chorus: { round_id: string; transcript_cid: string } };
    expect(s.answer).to.equal("answer q6 from node 6");
    expect(s.chorus.round_id).to.match(/^0x[0-9a-f]{64}$/);
    expect(s.chorus.transcript_cid).to.match(/^bagu/);
    const info = await client.callTool({ name: "node_info", arguments: {} });
    expect((info.structuredContent as { ok: boolean; node: string }).node.toLowerCase()).to.equal(
      swarm.nodes[0].address.toLowerCase(),
    );
    // this test node mounts no explorer: the tool reports the failure instead of crashing the server
    const audit = await client.callTool({ name: "audit_round", arguments: { roundId: s.chorus.round_id } });
    expect(audit.isError).to.equal(true);
    expect(JSON.stringify(audit.content)).to.match(/HTTP 404/);
    const bad = await client.callTool({ name: "audit_round", arguments: { roundId: "0x12" } });
    expect(bad.isError).to.equal(true);
  }

  it("streamable HTTP at /mcp: list and call the tools with the gateway's API key; without it, 401", async () => {
    const client = new Client({ name: "chorus-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${swarm.base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${KEY}` } },
      }),
    );
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
    const res = await fetch(`${swarm.base}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).to.equal(401);
  });

  it("stdio: `chorus mcp` as a child process, pointed at the gateway by CHORUS_GATEWAY_URL with CHORUS_API_KEY", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(root, "src/cli/chorus.mjs"), "mcp"],
      cwd: root,
      env: { ...(process.env as Record<string, string>), CHORUS_GATEWAY_URL: swarm.base, CHORUS_API_KEY: KEY },
      stderr: "pipe",
    });
    const client = new Client({ name: "chorus-test", version: "1.0.0" });
    await client.connect(transport);
    const pid = transport.pid;
    expect(pid).to.be.a("number");
    try {
      await exercise(client);
    } finally {
      await client.close();
      // the SDK ends the child; make sure by its PID
      try {
        process.kill(pid!, 0);
        process.kill(pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });

  it("A2A agent card at /.well-known/agent.json names the skill, the MCP endpoint and the bearer scheme", async () => {
    const res = await fetch(`${swarm.base}/.well-known/agent.json`);
    expect(res.status).to.equal(200);
    const card = await res.json();
    expect(card.url).to.equal(`${swarm.base}/mcp`);
    expect(card.skills.map((s: { id: string }) => s.id)).to.deep.equal(["consensus-answer"]);
    expect(card.security).to.deep.equal([{ bearer: [] }]);
  });
});
