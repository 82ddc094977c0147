/**
 * URLs in messages: hosted RPC providers put the API key in the path (or query, or userinfo), so anything a
 * node shows outside itself names a URL by its origin only: scheme://host:port.
 */

/** `scheme://host[:port]` of `url`; "(invalid URL)" when it does not parse (never the raw text). */
export function originOf(url: string | undefined): string {
  if (!url) return "";
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid URL)";
  }
}

/** `text` with every occurrence of `url` (and of its path, which may stand alone in a message) replaced by its origin. */
export function redactUrl(text: string, url: string | undefined): string {
  if (!url) return text;
  const origin = originOf(url);
  let out = text.split(url).join(origin);
  try {
    const u = new URL(url);
    const secretish = `${u.pathname}${u.search}`;
    if (secretish.length > 1) out = out.split(secretish).join("/…");
    if (u.username || u.password) out = out.split(`${u.username}:${u.password}@`).join("");
  } catch {
    /* not a URL: nothing more to take out */
  }
  return out;
}

/** `text` with every URL in it (http, https, ws, wss) reduced to its origin: for messages of unknown make. */
export function redactUrls(text: string): string {
  return text.replace(
    /\b(?:https?|wss?):\/\/[^\s'"<>`)\]}]+/gi,
    (u) => originOf(u.replace(/[.,;:]+$/, "")) + (/[.,;:]+$/.exec(u)?.[0] ?? ""),
  );
}
