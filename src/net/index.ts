/**
 * Outbound HTTP to URLs that came from the chain or a peer (see address.ts and request.ts): address checks
 * with an operator allowlist, the checked address pinned for the connection, no redirects, capped bodies,
 * fixed failure reasons. Also the secret-free form of URLs for messages (origins only, redact.ts).
 */
export { AddressPolicy, ANY_ADDRESS, Cidr, PUBLIC_ONLY } from "./address.js";
export {
  badStatus,
  checkedLookup,
  httpUrl,
  netError,
  netReasonOf,
  netRequest,
  NET_REASONS,
  type NetErrorCode,
  type NetRequest,
  type NetResponse,
} from "./request.js";
export { originOf, redactUrl, redactUrls } from "./redact.js";
