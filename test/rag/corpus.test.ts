/** Corpus loading: formats, recursion, the bad-file policy (refuse by default, --skip-bad skips and reports). */
import { expect } from "chai";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ChorusError } from "../../src/core/index.js";
import { loadCorpus } from "../../src/rag/corpus.js";

describe("rag / corpus loading", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-corpus-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (rel: string, content: string | Uint8Array) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  };
  const refusal = async (opts = {}): Promise<ChorusError> => {
    try {
      await loadCorpus(dir, opts);
    } catch (err) {
      expect(err).to.be.instanceOf(ChorusError);
      return err as ChorusError;
    }
    throw new Error("loadCorpus did not refuse");
  };

  it("reads .txt, .md and .jsonl recursively, sorted by path, with stable chunk ids", async () => {
    await write("b/notes.txt", "Plain text.");
    await write("a.md", "# Title\n\nBody.");
    await write("faq.jsonl", '{"id":"q1","title":"Why","text":"Because."}\n\n{"text":"No id here."}\n');
    await write(".git/config", "ignored");
    const c = await loadCorpus(dir);
    expect(c.files.map((f) => [f.path, f.format])).to.deep.equal([
      ["a.md", "markdown"],
      ["b/notes.txt", "text"],
      ["faq.jsonl", "jsonl"],
    ]);
    expect(c.chunks.map((x) => x.id)).to.deep.equal([
      "a.md#0",
      "b/notes.txt#0",
      "faq.jsonl:q1#0",
      "faq.jsonl:line-3#0",
    ]);
    expect(c.chunks[2].text).to.equal("Why\n\nBecause.");
    expect(c.files[2].docs).to.deep.equal(["faq.jsonl:q1", "faq.jsonl:line-3"]);
    expect(c.files[0].sha256).to.match(/^[0-9a-f]{64}$/);
    expect(c.ignored).to.deep.equal([".git"]);
    expect(c.skipped).to.deep.equal([]);
  });

  it("refuses by default, naming the file and line of the first bad file", async () => {
    await write("good.md", "Fine.");
    await write("bad.jsonl", '{"text":"ok"}\n{"text": broken\n');
    let err = await refusal();
    expect(err.code).to.equal("CORPUS_BAD_FILE");
    expect(err.message).to.match(/^bad\.jsonl:2: not valid JSON/);
    expect(err.details).to.include({ file: "bad.jsonl", line: 2 });
    await rm(path.join(dir, "bad.jsonl"));
    await write("image.png", new Uint8Array([0x89, 0x50]));
    err = await refusal();
    expect(err.message).to.match(/^image\.png: unsupported file type '\.png'/);
  });

  it("with skipBad skips each bad file, says why, and keeps the good ones", async () => {
    await write("good.txt", "Useful text.");
    await write("latin1.txt", new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    await write("empty.md", "  \n\n ");
    await write("rows.jsonl", '{"text":"a"}\n[1,2]\n');
    await write("dup.jsonl", '{"id":1,"text":"a"}\n{"id":"1","text":"b"}\n');
    await write("notext.jsonl", '{"title":"x"}\n');
    await write("data.csv", "a,b\n");
    const c = await loadCorpus(dir, { skipBad: true });
    expect(c.files.map((f) => f.path)).to.deep.equal(["good.txt"]);
    expect(c.skipped).to.deep.equal([
      { path: "data.csv", reason: "unsupported file type '.csv' (supported: .txt, .md, .markdown, .jsonl)" },
      { path: "dup.jsonl", line: 2, reason: "duplicate id '1'" },
      { path: "empty.md", reason: "has no text" },
      { path: "latin1.txt", reason: "not valid UTF-8 text" },
      { path: "notext.jsonl", line: 1, reason: "needs a non-empty string field 'text'" },
      { path: "rows.jsonl", line: 2, reason: "each line must be a JSON object" },
    ]);
  });

  it("refuses symbolic links, files over the size limit, an empty corpus and a missing directory", async () => {
    await write("real.txt", "x".repeat(100));
    await symlink(path.join(dir, "real.txt"), path.join(dir, "link.txt"));
    expect((await refusal()).message).to.match(/^link\.txt: not a regular file/);
    await rm(path.join(dir, "link.txt"));
    expect((await refusal({ maxFileBytes: 50 })).message).to.match(
      /^real\.txt: 100 bytes, larger than the limit of 50/,
    );
    expect((await refusal({ maxFileBytes: 50, skipBad: true })).code).to.equal("CORPUS_EMPTY");
    const missing = await loadCorpus(path.join(dir, "nope")).catch((e) => e);
    expect(missing.code).to.equal("CORPUS_NOT_FOUND");
  });
});
