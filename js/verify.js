// "authwasm/verify": the opt-in ID-token signature verifier (RS256, ES256) as a wasm module
// of its own (dist/authwasm-verify.{js,wasm}, OpenSSL EVP inside: ~400 KB gzip). Apps that
// never import this file never download it:
//
//   import { loadVerifier } from "authwasm/verify";
//   const auth = await createAuthClient({ ..., verifier: await loadVerifier() });
//
// The JWKS is fetched from the provider's jwks_uri on first use and cached per URI; an ID
// token whose `kid` the cached set does not know causes exactly one refetch (key rotation).
// Every decision (JWKS checks, alg allow-list, kid selection, the signature) is made in C++
// (src/id_token_verifier.cpp, src/jws_verify.cpp).
import createAuthwasmVerifyModule from "../dist/authwasm-verify.js";
import { AuthError } from "./errors.js";
import { createWasmLoader } from "./wasm-loader.js";
import { send } from "./http.js";

const loadModule = createWasmLoader({
  factory: createAuthwasmVerifyModule,
  defaultWasmUrl: () => new URL("../dist/authwasm-verify.wasm", import.meta.url),
  label: "authwasm/verify",
});

/** @param {{ wasmUrl?: string | URL, wasmBinary?: ArrayBuffer | Uint8Array, wasmModule?: WebAssembly.Module }} [options] */
export async function loadVerifier(options = {}) {
  return new Verifier(await loadModule(options));
}

class Verifier {
  #module;
  #jwks = new Map(); // jwksUri → the described JWKS answer that last verified something

  constructor(module) {
    this.#module = module;
  }

  #verify(token, jwks) {
    return JSON.parse(this.#module.call("verify", JSON.stringify({ token, jwks })));
  }

  async #fetchJwks(jwksUri, fetchImpl, maxResponseBytes, timeoutMs) {
    const request = { method: "GET", url: jwksUri, headers: { Accept: "application/json" }, credentials: "omit", timeoutMs };
    return send(fetchImpl ?? globalThis.fetch.bind(globalThis), request, maxResponseBytes ?? 65536);
  }

  /**
   * Verifies `idToken`'s signature with the key its `kid` names in the JWKS at `jwksUri`.
   * Rejects with AuthError `invalid_id_token` (alg, kid, signature) or `invalid_response`
   * (JWKS unusable); resolves with { alg, kid }.
   */
  async verifyIdToken(idToken, { jwksUri, fetch, maxResponseBytes, timeoutMs } = {}) {
    if (typeof idToken !== "string") throw new AuthError("invalid_argument", "idToken must be a string");
    if (typeof jwksUri !== "string") throw new AuthError("invalid_argument", "jwksUri must be a string");
    let jwks = this.#jwks.get(jwksUri);
    let fresh = false;
    if (!jwks) {
      jwks = await this.#fetchJwks(jwksUri, fetch, maxResponseBytes, timeoutMs);
      fresh = true;
    }
    let result = this.#verify(idToken, jwks);
    if (!result.ok && result.unknownKid && !fresh) { // key rotation: one refetch, never a loop
      jwks = await this.#fetchJwks(jwksUri, fetch, maxResponseBytes, timeoutMs);
      result = this.#verify(idToken, jwks);
    }
    if (!result.ok) {
      if (result.code === "invalid_response") this.#jwks.delete(jwksUri);
      throw new AuthError(result.code, result.message);
    }
    this.#jwks.set(jwksUri, jwks);
    return { alg: result.alg, kid: result.kid };
  }
}
