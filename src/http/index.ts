/**
 * The HTTP adapter: JSON bodies with a size limit, zod validation at the boundary (400 naming the field), one
 * error handler that answers each ChorusError with the status of its code (src/core/errors.ts `ERROR_STATUS`),
 * and per-IP token-bucket rate limits. Used by the node gateway, the peer routes, the explorer and data sources.
 *
 * @example
 * import { errorHandler, jsonBody, parseBody, route, ipRateLimit } from "./index.js";
 * app.post("/v1/x", ipRateLimit({ ratePerSec: 5, burst: 10 }), jsonBody("64kb"), route(async (req, res) => {
 *   const body = parseBody(Schema, req.body); // ChorusError INPUT_INVALID -> 400
 *   res.json(await handle(body));
 * }));
 * app.use(errorHandler);
 */
export * from "./errors.js";
export * from "./rate-limit.js";
