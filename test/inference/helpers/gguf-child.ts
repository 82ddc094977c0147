/** Child process of the determinism test: greedy generation on the test model, printed as JSON. */
import { GgufBackend } from "../../../src/inference/index.js";

const backend = new GgufBackend({ modelPath: process.argv[2], threads: 1, contextSize: 256 });
const r = await backend.chat([{ role: "user", content: process.argv[3] }], { maxTokens: 48 });
await backend.close();
process.stdout.write(JSON.stringify(r));
