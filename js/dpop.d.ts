// Types of "authwasm/dpop": DPoP (RFC 9449) for createAuthClient, opt-in by import.
import type { DpopSupport } from "./index.js";

export type { DpopSupport };

/**
 * Pass as createAuthClient's `dpop` option: `createAuthClient({ ..., dpop })`. Its build of the
 * core (dist/authwasm-dpop.wasm) is loaded by createAuthClient; `dpop.init(options)` first only
 * for unusual hosting (the wasm elsewhere: `{ wasmUrl }`).
 */
export declare const dpop: DpopSupport;
