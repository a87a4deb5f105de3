import { init } from "./loader.js";
import { requireString, unwrap } from "./errors.js";

/**
 * Decodes a JWT's header and claims WITHOUT verifying its signature (RFC 7519 §7.2 structure,
 * strict base64url, JSON objects, no duplicate member names). For display and routing only.
 */
export async function decodeJwt(token) {
  requireString(token, "token");
  const { header, claims } = unwrap((await init()).decodeJwt(token));
  return { header: JSON.parse(header), claims: JSON.parse(claims) };
}
