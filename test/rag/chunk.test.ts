/** Chunking: paragraphs, Markdown sections with their headings, overlapping windows, stable ids, bad options. */
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { chunkMarkdown, chunkText, markdownSections } from "../../src/rag/chunk.js";

describe("rag / chunking", () => {
  it("packs short paragraphs into one chunk and numbers chunks <doc>#<i>", () => {
    const chunks = chunkText("notes.txt", "First paragraph.\n\nSecond   paragraph\nwraps here.\r\n\r\nThird.");
    expect(chunks).to.deep.equal([
      { id: "notes.txt#0", doc: "notes.txt", text: "First paragraph.\n\nSecond paragraph wraps here.\n\nThird." },
    ]);
  });

  it("starts a new chunk when the next paragraph would pass maxChars", () => {
    const para = (c: string) => c.repeat(30);
    const chunks = chunkText("d", [para("a"), para("b"), para("c")].join("\n\n"), { maxChars: 64, overlap: 0 });
    expect(chunks.map((c) => c.text)).to.deep.equal([`${para("a")}\n\n${para("b")}`, para("c")]);
    expect(chunks.map((c) => c.id)).to.deep.equal(["d#0", "d#1"]);
  });

  it("cuts a long paragraph into windows at whitespace that overlap and cover every word", () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    const chunks = chunkText("long", words.join(" "), { maxChars: 100, overlap: 30 });
    expect(chunks.length).to.be.greaterThan(5);
    for (const c of chunks) {
      expect(c.text.length).to.be.at.most(100);
      for (const w of c.text.split(" ")) expect(words).to.include(w); // never cut inside a word
    }
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1].text.split(" ");
      expect(prev).to.include(chunks[i].text.split(" ")[0]); // consecutive windows share words
    }
    const seen = new Set(chunks.flatMap((c) => c.text.split(" ")));
    expect([...seen].length).to.equal(words.length);
  });

  it("splits Markdown at headings (not inside code fences) and prefixes each chunk with its heading", () => {
    const md =
      "Intro line.\n\n# Rivers\n\nThe Nile is long.\n\n```\n# not a heading\n```\n\n## Mountains\n\nEverest is high.\n\n### Empty\n";
    expect(markdownSections(md).map((s) => s.heading)).to.deep.equal([
      undefined,
      "# Rivers",
      "## Mountains",
      "### Empty",
    ]);
    const chunks = chunkMarkdown("geo.md", md);
    expect(chunks.map((c) => c.text)).to.deep.equal([
      "Intro line.",
      "# Rivers\n\nThe Nile is long.\n\n``` # not a heading ```",
      "## Mountains\n\nEverest is high.",
      "### Empty",
    ]);
    const long = `# Big\n\n${"lorem ipsum ".repeat(100)}`;
    for (const c of chunkMarkdown("big.md", long, { maxChars: 200, overlap: 20 })) {
      expect(c.text.startsWith("# Big\n\n")).to.equal(true);
      expect(c.text.length).to.be.at.most(200);
    }
  });

  it("is deterministic and gives no chunks for blank text", () => {
    const t = "alpha beta. ".repeat(300);
    expect(chunkText("x", t, { maxChars: 300 })).to.deep.equal(chunkText("x", t, { maxChars: 300 }));
    expect(chunkText("x", " \n\n \t")).to.deep.equal([]);
  });

  it("refuses bad options with CHUNK_BAD_OPTIONS", () => {
    for (const opts of [{ maxChars: 10 }, { maxChars: 100, overlap: 60 }, { overlap: -1 }, { size: 3 } as never]) {
      expect(() => chunkText("x", "text", opts))
        .to.throw(ChorusError)
        .with.property("code", "CHUNK_BAD_OPTIONS");
    }
  });
});
