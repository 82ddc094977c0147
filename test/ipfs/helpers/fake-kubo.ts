/**
 * A small stand-in for a Kubo daemon's RPC API, enough for the Kubo artifact store: block/put, block/get,
 * block/stat, pin/add, pin/ls, backed by a real filesystem blockstore. It listens on 127.0.0.1 only. Faults
 * can be switched on to check that the store does not trust the daemon. (A real Kubo daemon cannot be
 * installed here: its npm package downloads the binary from a host that is not reachable.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as dagCbor from "@ipld/dag-cbor";
import * as dagJson from "@ipld/dag-json";
import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";

const CODECS: Partial<Record<string, number>> = { raw: 0x55, "dag-json": 0x0129, "dag-cbor": 0x71, "dag-pb": 0x70 };

export interface FakeKubo {
  url: string;
  blockstore: FsBlockstore;
  pins: Set<string>;
  /** Every RPC path called, in order (e.g. "block/put"). */
  calls: string[];
  /** The query string of the latest call of each RPC path. */
  params: Map<string, URLSearchParams>;
  faults: { tamperGet?: boolean; wrongPutCid?: boolean };
  close(): Promise<void>;
}

export async function startFakeKubo(dir: string): Promise<FakeKubo> {
  const blockstore = new FsBlockstore(dir);
  await blockstore.open();
  const pins = new Set<string>();
  const calls: string[] = [];
  const params = new Map<string, URLSearchParams>();
  const faults: FakeKubo["faults"] = {};

  const getBytes = async (cid: CID): Promise<Uint8Array | undefined> => {
    if (!(await blockstore.has(cid))) return undefined;
    const parts: Uint8Array[] = [];
    for await (const p of blockstore.get(cid) as AsyncIterable<Uint8Array>) parts.push(p);
    return Buffer.concat(parts);
  };
  const links = (cid: CID, bytes: Uint8Array): CID[] => {
    if (cid.code === CODECS["dag-pb"]) return dagPb.decode(bytes).Links.map((l) => l.Hash);
    if (cid.code !== CODECS["dag-json"] && cid.code !== CODECS["dag-cbor"]) return [];
    const out: CID[] = [];
    const walk = (v: unknown) => {
      if (v === null || typeof v !== "object") return;
      const c = CID.asCID(v);
      if (c) return void out.push(c);
      for (const x of Object.values(v)) walk(x);
    };
    walk(cid.code === CODECS["dag-json"] ? dagJson.decode(bytes) : dagCbor.decode(bytes));
    return out;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const cmd = url.pathname.replace(/^\/api\/v0\//, "");
    calls.push(cmd);
    params.set(cmd, url.searchParams);
    const body = await readBody(req);
    const arg = url.searchParams.get("arg");
    if (req.method !== "POST") {
      fail(res, 405, "kubo RPC wants POST");
      return;
    }
    switch (cmd) {
      case "block/put": {
        const codec = CODECS[url.searchParams.get("cid-codec") ?? "raw"];
        if (codec === undefined) {
          fail(res, 400, "unknown cid-codec");
          return;
        }
        if ((url.searchParams.get("mhtype") ?? "sha2-256") !== "sha2-256") {
          fail(res, 400, "only sha2-256 here");
          return;
        }
        const content = filePart(req, body);
        if (!content) {
          fail(res, 400, "no file part in multipart body");
          return;
        }
        const cid = CID.createV1(codec, await sha256.digest(content));
        await blockstore.put(cid, content);
        if (url.searchParams.get("pin") === "true") pins.add(cid.toString());
        const key = faults.wrongPutCid
          ? CID.createV1(0x55, await sha256.digest(new TextEncoder().encode("other")))
          : cid;
        json(res, { Key: key.toString(), Size: content.length });
        return;
      }
      case "block/get":
      case "block/stat": {
        const cid = CID.parse(arg ?? "");
        const bytes = await getBytes(cid);
        if (!bytes) {
          fail(res, 500, `block was not found locally (offline): ipld: could not find ${cid.toString()}`);
          return;
        }
        if (cmd === "block/stat") {
          json(res, { Key: cid.toString(), Size: bytes.length });
          return;
        }
        const out = faults.tamperGet ? Buffer.concat([bytes, Buffer.from(" ")]) : bytes;
        res.writeHead(200, { "Content-Type": "text/plain" }).end(out);
        return;
      }
      case "pin/add": {
        const root = CID.parse(arg ?? "");
        const stack = [root];
        while (stack.length) {
          const c = stack.pop()!;
          const bytes = await getBytes(c);
          if (!bytes) {
            fail(res, 500, `pin: block was not found locally (offline): ipld: could not find ${c.toString()}`);
            return;
          }
          stack.push(...links(c, bytes));
        }
        pins.add(root.toString());
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(`${JSON.stringify({ Pins: [root.toString()] })}\n`);
        return;
      }
      case "pin/ls": {
        const cid = CID.parse(arg ?? "");
        if (!pins.has(cid.toString())) {
          fail(res, 500, `path '${cid.toString()}' is not pinned`);
          return;
        }
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(`${JSON.stringify({ Cid: cid.toString(), Type: "recursive" })}\n`);
        return;
      }
      default: {
        fail(res, 404, `unknown command ${cmd}`);
        return;
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => fail(res, 500, String(err?.message ?? err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blockstore,
    pins,
    calls,
    params,
    faults,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await blockstore.close();
    },
  };
}

function json(res: ServerResponse, value: unknown) {
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(value));
}

function fail(res: ServerResponse, status: number, message: string) {
  if (res.headersSent) return void res.destroy();
  res
    .writeHead(status, { "Content-Type": "application/json" })
    .end(JSON.stringify({ Message: message, Code: 0, Type: "error" }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The content of the first part of a multipart/form-data body. */
function filePart(req: IncomingMessage, body: Buffer): Buffer | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers["content-type"] ?? "");
  if (!m) return undefined;
  const boundary = `--${m.at(1) ?? m.at(2) ?? ""}`; // one of the two groups matched
  const start = body.indexOf(boundary);
  if (start < 0) return undefined;
  const headersEnd = body.indexOf("\r\n\r\n", start);
  if (headersEnd < 0) return undefined;
  const end = body.indexOf(`\r\n${boundary}`, headersEnd + 4);
  return end < 0 ? undefined : body.subarray(headersEnd + 4, end);
}
