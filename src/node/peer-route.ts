/**
 * The peer endpoint (POST /peer/v1/message), cheapest checks first. The body is read as a stream, never
 * parsed before the member has seen the envelope's head: the first bytes must be
 * `{"kind":"…","roundId":"0x…","from":"0x…"` (the order every Chorus node writes), and `Member.admit` refuses
 * an unknown kind, a sender that is not the round's coordinator or not an active node, an unknown round, a
 * stale or replayed round id, or a coordinator over its rate, before anything else is read. The declared
 * length, then the bytes as they arrive, are held to the kind's limit (PEER_BODY_LIMITS); only then is the
 * body parsed and handed to the member, which checks the signature and the rest. A refusal before the body
 * was read closes the connection instead of draining it.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { Request, RequestHandler, Response } from "express";
import type { Hex, Address } from "viem";
import { ChorusError } from "../core/index.js";
import type { EnvelopeHead, Member } from "../round/member.js";
import { PEER_BODY_LIMITS } from "../protocol/index.js";
import { statusOf } from "../http/index.js";

/** Bytes the head must fit in. */
const HEAD_BYTES = 256;
const HEAD =
  /^\s*\{\s*"kind"\s*:\s*"([a-z-]{1,32})"\s*,\s*"roundId"\s*:\s*"(0x[0-9a-fA-F]{64})"\s*,\s*"from"\s*:\s*"(0x[0-9a-fA-F]{40})"\s*,/;
/** The largest body of any kind. */
export const PEER_MAX_BODY = Math.max(...Object.values(PEER_BODY_LIMITS));

/** Parses the envelope head from the first bytes; throws PEER_BAD_MESSAGE when it is not there. */
export function parseHead(prefix: Buffer): EnvelopeHead {
  const m = HEAD.exec(prefix.subarray(0, HEAD_BYTES).toString("latin1"));
  if (!m) throw new ChorusError("PEER_BAD_MESSAGE", 'a peer envelope must begin {"kind":…,"roundId":…,"from":…,');
  return { kind: m[1], roundId: m[2] as Hex, from: m[3] as Address };
}

/**
 * Reads a peer request body: head first (admitted by `admit`, which returns the kind's byte limit), then
 * the rest up to that limit. Resolves with the whole body; rejects with the refusal (`consumed` false when
 * the body was not read to its end).
 */
export function readPeerBody(
  stream: Readable,
  headers: IncomingHttpHeaders,
  admit: (head: EnvelopeHead) => Promise<number>,
): Promise<Buffer> {
  const declared = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let limit = PEER_MAX_BODY;
    let admitted = false;
    let admitting = false;
    let ended = false;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      stream.pause();
      cleanup();
      // the refusal is sent as refuse() sends any error: one that is not an Error is an internal one
      const refusal = err instanceof Error ? err : new ChorusError("INTERNAL", "internal error", {}, { cause: err });
      reject(Object.assign(refusal, { consumed: false }));
    };
    const finish = () => {
      if (done) return;
      done = true;
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const tooLarge = (n: number) =>
      new ChorusError("HTTP_TOO_LARGE", `peer message of ${n} bytes exceeds the limit of ${limit} bytes`, {
        size: n,
        limit,
      });
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        fail(tooLarge(size));
        return;
      }
      chunks.push(chunk);
      if (!admitted && !admitting && (size >= HEAD_BYTES || ended)) startAdmit();
    };
    const onEnd = () => {
      ended = true;
      if (admitted) finish();
      else if (!admitting) startAdmit();
    };
    const startAdmit = () => {
      admitting = true;
      stream.pause();
      let head: EnvelopeHead;
      try {
        head = parseHead(chunks.length > 0 && chunks[0].length >= HEAD_BYTES ? chunks[0] : Buffer.concat(chunks, size));
      } catch (err) {
        fail(err);
        return;
      }
      admit(head).then((kindLimit) => {
        limit = kindLimit;
        if (declared !== undefined && declared > limit) {
          fail(tooLarge(declared));
          return;
        }
        if (size > limit) {
          fail(tooLarge(size));
          return;
        }
        admitted = true;
        admitting = false;
        if (ended) finish();
        else stream.resume();
      }, fail);
    };
    const onError = (err: Error) => fail(new ChorusError("HTTP_BAD_BODY", `peer request body: ${err.message}`));
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    if (declared !== undefined && (!Number.isFinite(declared) || declared > PEER_MAX_BODY)) {
      fail(
        new ChorusError(
          "HTTP_TOO_LARGE",
          `peer message of ${headers["content-length"]} bytes exceeds the limit of ${PEER_MAX_BODY} bytes`,
          { limit: PEER_MAX_BODY },
        ),
      );
      return;
    }
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}

function refuse(req: Request, res: Response, err: unknown): void {
  const e = err instanceof ChorusError ? err : new ChorusError("INTERNAL", "internal error", {}, { cause: err });
  const status = statusOf(e);
  const consumed = (err as { consumed?: boolean }).consumed !== false;
  if (res.headersSent) return;
  // A body left unread is not drained: the connection closes once the refusal is written.
  if (!consumed) {
    res.setHeader("connection", "close");
    res.on("finish", () => req.socket.destroy());
  }
  if (e.code === "PEER_RATE_LIMITED" && typeof e.details.retryAfterMs === "number")
    res.setHeader("retry-after", String(Math.ceil(e.details.retryAfterMs / 1000)));
  res.status(status).json({
    error: {
      message: e.message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      code: e.code,
      details: e.toJSON().details,
    },
  });
}

export function peerRoute(member: Member): RequestHandler {
  return (req, res) => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    readPeerBody(req, req.headers, (head) => member.admit(head))
      .then((bytes) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new ChorusError("HTTP_BAD_BODY", "body is not valid JSON");
        }
        return member.handle(parsed, { signal: controller.signal });
      })
      .then((reply) => res.json(reply))
      .catch((err: unknown) => refuse(req, res, err));
  };
}
