import { call } from "./core.js";
import { AuthError, requireType } from "./errors.js";

/** RFC 7636 §4.1 verifier (64 characters by default) and its §4.2 S256 challenge, made in wasm. */
export async function createPkcePair(length = 64) {
  if (!Number.isInteger(length)) throw new AuthError("invalid_argument", "length must be an integer");
  const { verifier, challenge } = await call("createPkcePair", { length });
  return { verifier, challenge, method: "S256" };
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(verifier))). */
export async function pkceChallenge(verifier) {
  requireType(verifier, "string", "verifier");
  return (await call("pkceChallenge", { verifier })).challenge;
}
