/**
 * The A2A agent card (`/.well-known/agent.json`): what an agent-to-agent client needs to find the swarm's one
 * skill (consensus answers with a proof) and how to call it (the OpenAI-compatible gateway, MCP at /mcp).
 */
export const AGENT_CARD_PATH = "/.well-known/agent.json";

export function agentCard(baseUrl: string, opts: { version?: string; keysRequired: boolean }) {
  const url = baseUrl.replace(/\/+$/, "");
  return {
    protocolVersion: "0.3.0",
    name: "Chorus swarm",
    description:
      "A blockchain-anchored inference swarm: a committee of staked nodes answers each query, judges the answers pairwise and returns the consensus winner with a signed, on-chain-settled transcript anyone can audit.",
    url: `${url}/mcp`,
    preferredTransport: "JSONRPC",
    version: opts.version ?? "0.1.0",
    provider: { organization: "Chorus", url },
    capabilities: { streaming: true, pushNotifications: false, stateTransitionHistory: false },
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain", "application/json"],
    securitySchemes: opts.keysRequired
      ? { bearer: { type: "http", scheme: "bearer", description: "a gateway API key" } }
      : {},
    security: opts.keysRequired ? [{ bearer: [] }] : [],
    skills: [
      {
        id: "consensus-answer",
        name: "Consensus answer with proof",
        description:
          "Answers a question by committee consensus; the reply names the round id and transcript CID, auditable against the chain.",
        tags: ["llm", "consensus", "verifiable", "rag"],
        examples: ["What is the boiling point of water at sea level?"],
        inputModes: ["text/plain"],
        outputModes: ["text/plain", "application/json"],
      },
    ],
    additionalInterfaces: [
      { url: `${url}/v1`, transport: "openai-chat-completions" },
      { url: `${url}/mcp`, transport: "mcp-streamable-http" },
    ],
  };
}
