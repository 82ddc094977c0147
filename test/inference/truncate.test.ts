import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { ELISION, fitMessages, type ChatMessage } from "../../src/inference/index.js";

/** A stand-in tokenizer: 4 characters per token plus 3 tokens of template per message. */
const count = (ms: ChatMessage[]) => ms.reduce((s, m) => s + 3 + Math.ceil(m.content.length / 4), 0);

describe("inference / fitting prompts into the context", () => {
  it("leaves prompts that fit alone", () => {
    const ms: ChatMessage[] = [{ role: "user", content: "short" }];
    expect(fitMessages(ms, 100, count)).to.deep.equal({ messages: ms, promptTokens: 5, removedTokens: 0 });
  });

  it("cuts the middle of the longest message, keeping its beginning and end", () => {
    const long = `BEGIN ${"lorem ipsum ".repeat(200)} END?`;
    const ms: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: long },
    ];
    const r = fitMessages(ms, 120, count);
    expect(r.promptTokens).to.be.at.most(120);
    expect(r.removedTokens).to.be.greaterThan(400);
    expect(r.messages[0]).to.deep.equal(ms[0]);
    expect(r.messages[1].content.startsWith("BEGIN ")).to.equal(true);
    expect(r.messages[1].content.endsWith(" END?")).to.equal(true);
    expect(r.messages[1].content).to.include(ELISION);
    expect(ms[1].content).to.equal(long);
  });

  it("shortens system messages only when nothing else can shrink", () => {
    const ms: ChatMessage[] = [
      { role: "system", content: "S".repeat(800) },
      { role: "user", content: "hi" },
    ];
    const r = fitMessages(ms, 60, count);
    expect(r.messages[1].content).to.equal("hi");
    expect(r.messages[0].content).to.include(ELISION);
  });

  it("is INFERENCE_BAD_INPUT when the prompt cannot fit even cut down", () => {
    const ms: ChatMessage[] = Array.from({ length: 30 }, () => ({ role: "user" as const, content: "x" }));
    expect(() => fitMessages(ms, 20, count))
      .to.throw(ChorusError)
      .with.property("code", "INFERENCE_BAD_INPUT");
  });
});
