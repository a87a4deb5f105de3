// OpenID Provider I/O around the core: discovery (OIDC Discovery 1.0 §4, RFC 8414) and the
// hook for the opt-in ID-token signature verifier ("authwasm/verify"). Decisions stay in C++
// (src/oauth/discovery.cpp); this file only runs fetch.
import { callCore } from "./core.js";
import { AuthError } from "./errors.js";
import { send } from "./http.js";

/**
 * Fetches `${issuer}/.well-known/openid-configuration` when discovery is on (the default in
 * memory mode) and returns the options with the provider's endpoints folded in.
 */
export async function discover(module, options, fetchImpl) {
  const enabled = options.discovery ?? options.refresh === "memory";
  if (enabled !== true) return options;
  if (typeof options.issuer !== "string") throw new AuthError("configuration", "issuer must be a string");
  const { request } = callCore(module, "discoveryRequest", { issuer: options.issuer, timeoutSeconds: options.timeoutSeconds });
  const response = await send(fetchImpl, request, options.maxResponseBytes ?? 65536);
  return callCore(module, "applyDiscovery", { options, response }).options;
}

/** A `verifier` option must look like what loadVerifier() from "authwasm/verify" returns. */
export function checkVerifier(verifier) {
  if (verifier == null) return null;
  if (typeof verifier.verifyIdToken !== "function") {
    throw new AuthError("configuration", "verifier must come from loadVerifier() (\"authwasm/verify\")");
  }
  return verifier;
}

/**
 * With a verifier: checks the signature of the ID token in a token-endpoint answer before the
 * core looks at it. Only the ID token goes to the verifier module (never the refresh token).
 * Anything the core would refuse anyway (non-200, not JSON, no id_token) is left to it.
 */
export async function verifyTokenResponse(verifier, response, { jwksUri, fetch, maxResponseBytes, timeoutMs }) {
  if (!verifier || response.status !== 200 || response.truncated) return;
  let idToken;
  try {
    idToken = JSON.parse(response.body)?.id_token;
  } catch {
    return;
  }
  if (typeof idToken !== "string") return;
  if (!jwksUri) throw new AuthError("configuration", "ID token verification needs a jwks endpoint (jwks_uri)");
  await verifier.verifyIdToken(idToken, { jwksUri, fetch, maxResponseBytes, timeoutMs });
}
