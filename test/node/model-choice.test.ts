import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { chooseModel } from "../../src/node/model-choice.js";
import { isChorusError } from "../../src/core/index.js";

const MODEL = path.resolve("../shared/models/stories260K.gguf");

describe("model choice (CHORUS_MODEL, CHORUS_OPENAI_URL, cache, download)", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), "chorus-models-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it("uses CHORUS_MODEL first, then CHORUS_OPENAI_URL", async () => {
    const c1 = loadConfig({ env: { CHORUS_MODEL: MODEL, CHORUS_OPENAI_URL: "http://127.0.0.1:8080/v1" } });
    expect(await chooseModel(c1.inference)).to.deep.equal({ kind: "gguf", path: MODEL, source: "config" });
    const c2 = loadConfig({ env: { CHORUS_OPENAI_URL: "http://127.0.0.1:8080/v1", CHORUS_OPENAI_MODEL: "qwen" } });
    expect(await chooseModel(c2.inference)).to.deep.include({
      kind: "openai",
      baseUrl: "http://127.0.0.1:8080/v1",
      model: "qwen",
    });
  });

  it("a CHORUS_MODEL that does not exist is an error, not a fallback", async () => {
    const c = loadConfig({ env: { CHORUS_MODEL: "/nope/model.gguf", CHORUS_OPENAI_URL: "http://127.0.0.1:8080/v1" } });
    let err: unknown;
    await chooseModel(c.inference).catch((e) => (err = e));
    expect(isChorusError(err, "MODEL_UNAVAILABLE")).to.equal(true);
    expect((err as Error).message).to.contain("/nope/model.gguf");
  });

  it("offline with nothing configured or cached: one message saying what to set", async function () {
    this.timeout(60_000);
    // An unreachable download host stands in for "offline" on every machine, networked or not.
    const c = loadConfig({
      env: { CHORUS_MODELS_DIR: dir, CHORUS_DEFAULT_MODEL_URI: "http://127.0.0.1:9/model.gguf" },
    });
    let err: unknown;
    await chooseModel(c.inference).catch((e) => (err = e));
    expect(isChorusError(err, "MODEL_UNAVAILABLE"), String(err)).to.equal(true);
    expect((err as Error).message).to.match(
      /^no model: none is configured, none is cached, and downloading http:\/\/127.0.0.1:9\/model.gguf failed .*; set CHORUS_MODEL=<file.gguf>/,
    );
  });
});
