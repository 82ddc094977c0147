/**
 * Child process of the restart test: opens the embedded Helia store in argv[2], stores and pins an artifact,
 * closes the store and prints the CIDs, so the parent can reopen the directory in another process.
 */
import { openHeliaStore } from "../../../src/ipfs/index.js";

const store = await openHeliaStore({ dir: process.argv[2] });
const file = await store.putBytes(new TextEncoder().encode("written by another process"));
const manifest = await store.putJson({ kind: "corpus", files: [file], pid: "child" }, { pin: true });
await store.close();
process.stdout.write(JSON.stringify({ file: file.toString(), manifest: manifest.toString() }));
