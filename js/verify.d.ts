// Types of "authwasm/verify", the opt-in ID-token signature verifier module.
import type { IdTokenVerifier, InitOptions } from "./index.js";

export type { IdTokenVerifier };

/** Loads dist/authwasm-verify.wasm (once); pass the result as createAuthClient's `verifier`. */
export declare function loadVerifier(options?: InitOptions): Promise<IdTokenVerifier>;
