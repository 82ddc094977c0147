import { expect } from "chai";
import type { ChorusConfig } from "../../src/config/schema.js";
import {
  GgufBackend,
  OpenAIBackend,
  createInferenceBackend,
  type BackendChoice,
  type BackendSettings,
} from "../../src/inference/index.js";
import type { ModelChoice } from "../../src/node/model-choice.js";

// The node's model choice and the config's inference limits must stay assignable to what
// createInferenceBackend takes (checked by tsc in `npm run typecheck`; exported, as values only tsc reads).
export const _choiceFits: (c: ModelChoice) => BackendChoice = (c) => c;
export const _settingsFit: (c: ChorusConfig["inference"]) => BackendSettings = (c) => c;

describe("inference / createInferenceBackend", () => {
  it("builds a gguf backend for a model file and an openai backend for a server, with the limits given", async () => {
    const g = createInferenceBackend(
      { kind: "gguf", path: "/models/x.gguf" },
      { threads: 2, concurrency: 3, maxQueue: 5 },
    );
    expect(g).to.be.instanceOf(GgufBackend);
    expect(g.name).to.equal("gguf:x.gguf");
    expect(g instanceof GgufBackend && g.threads).to.equal(2);
    expect(g.stats()).to.include({ concurrency: 3, maxQueue: 5, active: 0 });
    const o = createInferenceBackend({ kind: "openai", baseUrl: "http://127.0.0.1:8080/v1", model: "qwen" });
    expect(o).to.be.instanceOf(OpenAIBackend);
    expect(o.name).to.equal("openai:qwen");
    await Promise.all([g.close(), o.close()]);
  });
});
