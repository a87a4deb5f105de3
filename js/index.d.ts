// Hand-written types for authwasm's public API (tests/types/ checks them with tsc).

/** Every failure authwasm reports. `code` is stable (README "Errors"). */
export declare class AuthError extends Error {
  readonly name: "AuthError";
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown });
}

export type AuthErrorCode =
  | "invalid_argument"
  | "invalid_base64url"
  | "invalid_json"
  | "invalid_jwt"
  | "random_unavailable"
  | "wasm_load_failed"
  | "wasm_abort";

export interface InitOptions {
  /** Where to fetch the .wasm from, when it is not served beside the package's files. */
  wasmUrl?: string | URL;
  /** The .wasm's bytes, e.g. from a custom loader. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** An already compiled module. */
  wasmModule?: WebAssembly.Module;
}

/** The loaded wasm module; memoised, so every call returns the same promise's value. */
export interface AuthwasmModule {
  readonly createPkcePair: unknown;
  readonly pkceChallenge: unknown;
  readonly decodeJwt: unknown;
}

/** Loads the wasm once. Optional: every other function calls it. */
export declare function init(options?: InitOptions): Promise<AuthwasmModule>;

export interface PkcePair {
  /** RFC 7636 §4.1 code_verifier: 43–128 characters of [A-Za-z0-9-._~]. */
  verifier: string;
  /** RFC 7636 §4.2 code_challenge: BASE64URL(SHA256(ASCII(verifier))). */
  challenge: string;
  method: "S256";
}

/** A fresh verifier (64 characters unless `length` says otherwise) and its S256 challenge. */
export declare function createPkcePair(length?: number): Promise<PkcePair>;

/** The S256 challenge of `verifier`. Rejects with `invalid_argument` for a verifier §4.1 forbids. */
export declare function pkceChallenge(verifier: string): Promise<string>;

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  [name: string]: unknown;
}

/** Decodes a JWT WITHOUT verifying its signature. Rejects with `invalid_jwt` when malformed. */
export declare function decodeJwt(token: string): Promise<{ header: JwtHeader; claims: JwtClaims }>;
