/**
 * The ArtifactStore contract against each backend: in memory, embedded Helia on disk, and Kubo's RPC API
 * (served by a stand-in daemon, since a real Kubo cannot be installed here).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CID } from "multiformats/cid";
import { createMemoryStore, openHeliaStore, openKuboStore } from "../../src/ipfs/index.js";
import { startFakeKubo } from "./helpers/fake-kubo.js";
import { CONTRACT_MAX_BYTES, describeStoreContract } from "./helpers/store-contract.js";
import { removeTmpDirs, tmpDir } from "./helpers/util.js";

after(removeTmpDirs);

describeStoreContract("memory", async () => {
  const store = createMemoryStore({ maxBytes: CONTRACT_MAX_BYTES });
  return {
    store,
    tamper: async (cid) => {
      const b = store.memory.blocks.get(cid.toString())!;
      store.memory.blocks.set(cid.toString(), Uint8Array.from([...b, 32]));
    },
    close: () => store.close(),
  };
});

describeStoreContract("embedded Helia (filesystem)", async () => {
  const dir = await tmpDir();
  const store = await openHeliaStore({ dir, maxBytes: CONTRACT_MAX_BYTES });
  return { store, tamper: (cid) => tamperFile(path.join(dir, "blocks"), store, cid), close: () => store.close() };
});

describeStoreContract("Kubo RPC (stand-in daemon)", async () => {
  const kubo = await startFakeKubo(await tmpDir());
  const store = await openKuboStore({ url: kubo.url, maxBytes: CONTRACT_MAX_BYTES });
  return {
    store,
    tamper: (cid) => tamperFile(path.join((kubo.blockstore as unknown as { path: string }).path), store, cid),
    close: async () => {
      await store.close();
      await kubo.close();
    },
  };
});

/** Finds the file holding `cid`'s bytes under `dir` and appends a byte to it. */
async function tamperFile(dir: string, store: { get(c: CID): Promise<Uint8Array> }, cid: CID): Promise<void> {
  const want = Buffer.from(await store.get(cid));
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name); // Dirent.parentPath: Node >= 20.12 (engines: ^20.19)
    if ((await readFile(file)).equals(want)) {
      await writeFile(file, Buffer.concat([want, Buffer.from(" ")]));
      return;
    }
  }
  throw new Error(`no file under ${dir} holds ${cid.toString()}`);
}
