/**
 * Chunking of documents for retrieval. Pure (no I/O), deterministic: the same text and options always give
 * the same chunks, so a corpus manifest's chunk ids are reproducible.
 *
 * - Plain text: paragraphs (separated by blank lines) are packed into chunks of at most `maxChars`
 *   characters; a paragraph longer than that is cut into windows at whitespace, consecutive windows sharing
 *   about `overlap` characters so a sentence cut at a window edge is still whole in one of them.
 * - Markdown: the text is first split into sections at ATX headings (`#`..`######`, outside fenced code);
 *   each section is chunked like plain text and every chunk of a section starts with its heading line, so a
 *   chunk keeps the context of the section it came from.
 * Chunk ids are `<doc>#<index>`, numbered from 0 in document order.
 */
import { z } from "zod";
import { ChorusError } from "../core/index.js";
import type { Chunk } from "../protocol/index.js";

export const DEFAULT_CHUNK_CHARS = 800;
export const DEFAULT_CHUNK_OVERLAP = 100;

export const ChunkOptionsSchema = z
  .object({
    /** Longest chunk, in characters (UTF-16 code units). */
    maxChars: z.number().int().min(64).max(8000).default(DEFAULT_CHUNK_CHARS),
    /** Characters shared by consecutive windows of one long paragraph; less than maxChars / 2. */
    overlap: z.number().int().min(0).max(4000).default(DEFAULT_CHUNK_OVERLAP),
  })
  .strict()
  .refine((o) => o.overlap * 2 < o.maxChars, { error: "overlap must be less than half of maxChars" });
export type ChunkOptions = z.input<typeof ChunkOptionsSchema>;
export type ChunkParams = z.output<typeof ChunkOptionsSchema>;

/** Validated chunking parameters with defaults filled in (CHUNK_BAD_OPTIONS on a bad value). */
export function chunkParams(opts: ChunkOptions = {}): ChunkParams {
  const r = ChunkOptionsSchema.safeParse(opts);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ChorusError("CHUNK_BAD_OPTIONS", `chunking ${i.path.join(".") || "options"}: ${i.message}`, {
      issues: r.error.issues.map((x) => x.message),
    });
  }
  return r.data;
}

/** Chunks plain text. */
export function chunkText(doc: string, text: string, opts: ChunkOptions = {}): Chunk[] {
  const p = chunkParams(opts);
  return number(doc, pack(paragraphs(text), p));
}

/** Chunks Markdown: sections at headings, each chunk prefixed with its section's heading. */
export function chunkMarkdown(doc: string, text: string, opts: ChunkOptions = {}): Chunk[] {
  const p = chunkParams(opts);
  const out: string[] = [];
  for (const s of markdownSections(text)) {
    if (s.heading === undefined) {
      out.push(...pack(paragraphs(s.body), p));
      continue;
    }
    // Leave room for the heading in every chunk of its section (a huge heading is itself cut).
    const heading = s.heading.length > p.maxChars / 2 ? s.heading.slice(0, Math.floor(p.maxChars / 2)) : s.heading;
    const room = p.maxChars - heading.length - 2;
    const bodyParams = { maxChars: room, overlap: Math.min(p.overlap, Math.floor((room - 1) / 2)) };
    const parts = pack(paragraphs(s.body), bodyParams);
    if (parts.length === 0) out.push(heading);
    else for (const part of parts) out.push(`${heading}\n\n${part}`);
  }
  return number(doc, out);
}

/** A Markdown section: its heading line (if any) and the text until the next heading. */
export function markdownSections(text: string): { heading?: string; body: string }[] {
  const sections: { heading?: string; lines: string[] }[] = [{ lines: [] }];
  let fence: string | undefined;
  for (const line of normalize(text).split("\n")) {
    const f = /^\s{0,3}(```|~~~)/.exec(line);
    if (f) fence = fence === undefined ? f[1] : fence === f[1] ? undefined : fence;
    if (fence === undefined && /^\s{0,3}#{1,6}(\s|$)/.test(line) && !f) {
      sections.push({ heading: line.trim(), lines: [] });
    } else {
      sections[sections.length - 1].lines.push(line);
    }
  }
  return sections
    .map((s) => ({ heading: s.heading, body: s.lines.join("\n").trim() }))
    .filter((s) => s.heading !== undefined || s.body !== "");
}

function normalize(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** Paragraphs: blocks separated by blank lines, inner whitespace runs collapsed. */
function paragraphs(text: string): string[] {
  return normalize(text)
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter((p) => p !== "");
}

/** Packs paragraphs into chunks of at most maxChars (joined by a blank line); long ones become windows. */
function pack(paras: string[], p: ChunkParams): string[] {
  const out: string[] = [];
  let current = "";
  const flush = () => {
    if (current !== "") out.push(current);
    current = "";
  };
  for (const para of paras) {
    if (para.length > p.maxChars) {
      flush();
      out.push(...windows(para, p));
    } else if (current === "") {
      current = para;
    } else if (current.length + 2 + para.length <= p.maxChars) {
      current += `\n\n${para}`;
    } else {
      flush();
      current = para;
    }
  }
  flush();
  return out;
}

/** Cuts one long paragraph into windows of at most maxChars at whitespace, overlapping by ~overlap chars. */
function windows(text: string, p: ChunkParams): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + p.maxChars);
    if (end < text.length) {
      const cut = text.lastIndexOf(" ", end);
      if (cut > start + p.maxChars / 2) end = cut;
    }
    out.push(text.slice(start, end).trim());
    if (end >= text.length) break;
    let next = end - p.overlap;
    if (p.overlap > 0) {
      const sp = text.indexOf(" ", next);
      if (sp !== -1 && sp < end) next = sp + 1;
    }
    start = Math.max(next, start + 1);
  }
  return out.filter((w) => w !== "");
}

function number(doc: string, texts: string[]): Chunk[] {
  return texts.map((text, i) => ({ id: `${doc}#${i}`, doc, text }));
}
