import { call } from "./core.js";
import { requireType } from "./errors.js";

/**
 * Decodes a JWT's header and claims WITHOUT verifying its signature (RFC 7519 §7.2 structure,
 * strict base64url, JSON objects, no duplicate member names). For display and routing only.
 */
export async function decodeJwt(token) {
  requireType(token, "string", "token");
  const { header, claims } = await call("decodeJwt", { token });
  return { header, claims };
}
