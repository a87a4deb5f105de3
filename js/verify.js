// "authwasm/verify": the opt-in ID-token signature verifier (RS256, ES256) as a wasm module
// of its own (dist/authwasm-verify.{js,wasm}: OpenSSL's BN arithmetic, no EVP or provider
// code; bench/size prints its size). Apps that never import this file never download it:
//
//   import { loadVerifier } from "authwasm/verify";
//   const auth = await createAuthClient({ ..., verifier: await loadVerifier() });
//
// The JWKS is fetched from the provider's jwks_uri on first use and cached per URI; an ID
// token whose `kid` the cached set does not know causes exactly one refetch (key rotation).
// Every decision (JWKS checks, alg allow-list, kid selection, the signature) is made in C++
// (src/jose/id_token_verifier.cpp, src/jose/jws_verify.cpp, src/jose/jws_bn_verify.cpp).
import createAuthwasmVerifyModule from "../dist/authwasm-verify.js";
import { AuthError } from "./errors.js";
import { createWasmLoader } from "./wasm-loader.js";
import { send } from "./http.js";

const LABEL = "authwasm/verify";
const loadModule = createWasmLoader({
  // Emscripten's full runtime (the default module's minimal one has neither hook).
  factory: (moduleOptions, reject) => createAuthwasmVerifyModule({
    ...moduleOptions,
    // Never used (instantiateWasm fetches), but without it the glue computes
    // new URL("x.wasm", import.meta.url) itself, which throws where a bundle has no import.meta.
    locateFile: (file) => file,
    onAbort: (what) => reject(new AuthError("wasm_abort", `${LABEL}: the wasm module aborted: ${what}`)),
  }),
  defaultWasmUrl: () => new URL("../dist/authwasm-verify.wasm", import.meta.url),
  label: LABEL,
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
    const [first, second, ...rest] = callVerify(this.#module, token, jwks).split("\n");
    const last = rest.join("\n"); // the kid or the message: the only field that may hold "\n"
    return first === "ok" ? { ok: true, alg: second, kid: last } : { ok: false, code: first, unknownKid: second === "1", message: last };
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

const utf8 = new TextEncoder();

// bindings/verify_bindings.cpp: authwasm_verify(token, body, contentType as (pointer, length),
// status, truncated) → a pointer to {data, size}: the answer's UTF-8 lines.
function callVerify(module, token, { status, contentType, body, truncated }) {
  const fields = [token, body ?? "", contentType ?? ""].map((text) => utf8.encode(text));
  const pointers = fields.map((bytes) => {
    const pointer = module._malloc(bytes.length + 1);
    module.HEAPU8.set(bytes, pointer);
    return pointer;
  });
  try {
    const answer = module._authwasm_verify(pointers[0], fields[0].length, pointers[1], fields[1].length,
      pointers[2], fields[2].length, status | 0, truncated ? 1 : 0) >>> 2;
    const [data, size] = [module.HEAPU32[answer], module.HEAPU32[answer + 1]]; // HEAP views change when memory grows
    return new TextDecoder().decode(module.HEAPU8.subarray(data, data + size));
  } finally {
    pointers.forEach((pointer) => module._free(pointer));
  }
}
