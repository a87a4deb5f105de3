// DPoP proofs built by hand with node:crypto (RFC 9449 §4.2), for server tests.
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from "node:crypto";

export const b64json = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
export const sha256 = (text) => createHash("sha256").update(text).digest("base64url");
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A P-256 key: the private KeyObject and the public JWK (kty crv x y only). */
export function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  return { privateKey, jwk: { kty, crv, x, y } };
}

/** RFC 7638 thumbprint of an EC JWK. */
export const thumbprint = ({ crv, kty, x, y }) => sha256(JSON.stringify({ crv, kty, x, y }));

/**
 * A DPoP proof (RFC 9449 §4.2). `header` and `claims` override or add members; a member set to
 * undefined is dropped. `signWith` signs with another key than the header's jwk.
 */
export function proof(key, { htm, htu, ath, nonce, header = {}, claims = {}, signWith = key } = {}) {
  const h = { typ: "dpop+jwt", alg: "ES256", jwk: key.jwk, ...header };
  const c = { jti: randomBytes(16).toString("base64url"), htm, htu, iat: nowSeconds(), ath, nonce, ...claims };
  const input = `${b64json(h)}.${b64json(c)}`;
  if (h.alg === "none") return `${input}.`;
  const signature = h.alg === "HS256"
    ? createHmac("sha256", Buffer.from(key.jwk.x, "base64url")).update(input).digest()
    : sign("sha256", Buffer.from(input), { key: signWith.privateKey, dsaEncoding: "ieee-p1363" }); // r‖s
  return `${input}.${signature.toString("base64url")}`;
}
