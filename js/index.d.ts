// Hand-written types for authwasm's public API (tests/types/ checks them with tsc).

/** Every failure authwasm reports. `code` is stable (README "Errors"). */
export declare class AuthError extends Error {
  readonly name: "AuthError";
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown });
}

export type AuthErrorCode =
  // bad input from the app
  | "invalid_argument"      // a function got a value of the wrong type or out of range
  | "configuration"         // createAuthClient options are wrong or inconsistent
  // the redirect round trip (RFC 6749 §4.1.2, RFC 9207)
  | "state_mismatch"        // no transaction for this callback, or a replayed/forged state
  | "iss_mismatch"          // the callback's iss is not the configured issuer (mix-up attack)
  | "invalid_callback"      // missing or duplicated parameters in the callback URL
  | "login_required"        // prompt=none and the provider has no session
  | "access_denied"         // the user or the provider refused
  | "authorization_error"   // any other error= in the callback (see `cause`)
  // responses from servers
  | "invalid_response"      // not JSON, wrong Content-Type, oversized, missing/ill-typed members
  | "invalid_id_token"      // ID token claims failed (iss, aud, azp, exp, iat, nonce, sub change)
  | "invalid_grant"         // the server refused the password, code or refresh token (400/401)
  | "server_error"          // 5xx or 429 (cause: { status, retryAfter }); the session is kept
  | "network"               // fetch failed (offline, DNS, CORS…); the session is kept
  | "timeout"               // no answer within timeoutSeconds (cause: { url, timeoutMs }); the session is kept
  | "invalid_dpop_proof"    // the server refused the DPoP proof, or kept asking for a nonce
  | "not_authenticated"     // an operation needs a session and there is none
  // low-level decoding
  | "invalid_base64url"
  | "invalid_json"
  | "invalid_jwt"
  | "random_unavailable"
  | "wasm_load_failed"
  | "wasm_abort";

export interface InitOptions {
  /**
   * Where to fetch the .wasm from, when the toolchain does not emit it (esbuild, Rollup:
   * docs/toolchains.md) or it is served elsewhere. A relative URL is resolved against the
   * page's base URL, as fetch() resolves it; outside a page it must be absolute.
   */
  wasmUrl?: string | URL;
  /** The .wasm's bytes, e.g. from a custom loader. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** An already compiled module. */
  wasmModule?: WebAssembly.Module;
  /** Deadline for fetching and compiling the .wasm, in seconds; default 30 (0 < s <= 600). */
  timeoutSeconds?: number;
}

/** The loaded wasm module; memoised, so every call returns the same promise's value. */
export interface AuthwasmModule {
  /** The core's single entry point: an operation and JSON arguments in, JSON out. Internal. */
  readonly call: (op: string, argsJson: string) => string;
}

/**
 * Loads the wasm once. Optional: every other function calls it; call it first only to pass
 * options. Memoised: later calls, with or without options, answer the first call's module.
 * Rejects with AuthError `wasm_load_failed` (the message names the URL) or `wasm_abort`.
 */
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

// ---------------------------------------------------------------------------- the client

/** The subset of `fetch` the client calls; inject one in Node tests. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Where the redirect transaction (state, nonce, PKCE verifier) waits for one round trip. */
export interface TransactionStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Endpoints when there is no discovery document (absolute URLs or paths on `issuer`). */
export interface Endpoints {
  authorization?: string;
  token?: string;
  /** Cookie mode: first-party endpoints of the reference server's contract. */
  login?: string;
  refresh?: string;
  logout?: string;
  logoutAll?: string;
  userinfo?: string;
  revocation?: string;
  endSession?: string;
  jwks?: string;
}

export interface AuthClientOptions {
  /** The issuer identifier, exactly as the server's tokens carry it in `iss`. */
  issuer: string;
  clientId: string;
  redirectUri?: string;
  /** Space-separated; default "openid profile". */
  scope?: string;
  /**
   * "cookie": a first-party server keeps the refresh token in an HttpOnly cookie (default).
   * "memory": a standard OpenID Provider returns it in JSON; it stays in the wasm heap.
   */
  refresh?: "cookie" | "memory";
  /** Fetch `${issuer}/.well-known/openid-configuration` (default: true in memory mode). */
  discovery?: boolean;
  endpoints?: Endpoints;
  /**
   * Seconds before expiry at which a token counts as expired; default 30, but never more than
   * half the token's own lifetime (a 2 s token is used for 1 s).
   */
  leewaySeconds?: number;
  /**
   * Deadline of every request authwasm makes itself (login, code exchange, refresh, logout,
   * revocation, discovery, JWKS, userinfo); default 10, 0 < s <= 300. Past it: `timeout`.
   */
  timeoutSeconds?: number;
  /** Largest response body the client will parse; default 65536 bytes. */
  maxResponseBytes?: number;
  /** Explicit, greppable opt-out of the RFC 9207 `iss` check on callbacks. */
  skipIssuerCheck?: boolean;
  /**
   * DPoP (RFC 9449): tokens bound to a non-extractable WebCrypto P-256 key that every tab of
   * the profile shares (IndexedDB). Token requests and `auth.fetch` carry a proof; the
   * `Authorization` scheme is `DPoP`; a `Bearer` answer is refused. Opt-in by import, so apps
   * without it never download it: `import { dpop } from "authwasm/dpop"`, then pass `{ dpop }`.
   * Anything else (`true` included) is a `configuration` error. Default: none.
   */
  dpop?: DpopSupport | false | null;
  /**
   * Where the DPoP key pair is kept. Default: IndexedDB in browsers, this tab's memory where
   * IndexedDB is missing or refuses (then every tab has its own key; README "DPoP").
   */
  dpopKeyStore?: DpopKeyStore | null;

  // Injectables, so the same client runs headless in Node.
  fetch?: FetchLike;
  /** Wall clock in ms (Date.now) for JWT claim checks. */
  now?: () => number;
  /** Monotonic clock in ms (performance.now) for token lifetimes. */
  monotonicNow?: () => number;
  storage?: TransactionStorage;
  /**
   * Cross-tab channel; `null` disables it. Default in browsers: new BroadcastChannel("authwasm:" +
   * clientId); none in Node (pass one to opt in).
   */
  channel?: BroadcastChannelLike | null;
  /**
   * Cross-tab lock around refreshes; default navigator.locks when present. `null` (or no Web
   * Locks): a claim protocol over `channel` stands in (js/tabs.js).
   */
  locks?: LockManagerLike | null;
  /** Called with the authorization URL instead of location.assign. */
  navigate?: (url: string) => void;
  /**
   * ID-token signature verification (RS256/ES256 against the provider's JWKS), opt-in so the
   * default bundle stays small: `verifier: await loadVerifier()` from "authwasm/verify".
   */
  verifier?: IdTokenVerifier | null;
}

/** A store for the DPoP CryptoKeyPair (structured-cloneable; its private key is not extractable). */
/** The object "authwasm/dpop" exports (js/dpop.d.ts); opaque to apps. */
export interface DpopSupport {
  /** The DPoP build's memoised init(), as {@link init}: only for unusual hosting. */
  init(options?: InitOptions): Promise<AuthwasmModule>;
  readonly keys: unknown;
}

export interface DpopKeyStore {
  get(id: string): Promise<CryptoKeyPair | undefined>;
  set(id: string, keyPair: CryptoKeyPair): Promise<void>;
  delete(id: string): Promise<void>;
}

/** What loadVerifier() from "authwasm/verify" returns (see js/verify.d.ts). */
export interface IdTokenVerifier {
  /**
   * Verifies an ID token's RS256/ES256 signature against the provider's JWKS (fetched once and
   * cached per URI; refetched once when the token's `kid` is unknown). `alg: none`, HMAC and
   * every other algorithm are refused. Rejects with AuthError `invalid_id_token` or
   * `invalid_response` (an unusable JWKS answer).
   */
  verifyIdToken(idToken: string, context: { jwksUri: string; fetch?: FetchLike; maxResponseBytes?: number }):
    Promise<{ alg: "RS256" | "ES256"; kid: string }>;
}

export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export interface LockManagerLike {
  request<T>(name: string, callback: (lock: unknown) => Promise<T> | T): Promise<T>;
  request<T>(name: string, options: { mode?: "exclusive" | "shared"; ifAvailable?: boolean; signal?: AbortSignal },
             callback: (lock: unknown) => Promise<T> | T): Promise<T>;
}

/** Who is logged in: the ID token's claims (or the access token's, without an ID token). */
export interface AuthUser {
  sub: string;
  [claim: string]: unknown;
}

export interface LoginOptions {
  /** Where handleRedirectCallback() says to go afterwards; default: the current path. */
  returnTo?: string;
  prompt?: "none" | "login" | "consent" | "select_account";
  /** Extra authorization request parameters (never response_type, state, nonce, PKCE ones). */
  extraParams?: Record<string, string>;
}

export interface CallbackResult {
  user: AuthUser;
  returnTo: string;
}

export interface LogoutOptions {
  /** Also end the user's sessions on every other device (server logout-all). */
  everywhere?: boolean;
  /** Memory mode: go to the provider's end_session_endpoint (RP-initiated logout). */
  redirect?: boolean;
  postLogoutRedirectUri?: string;
  /** With `redirect`: echoed back to `postLogoutRedirectUri` by the provider. */
  state?: string;
}

export interface RestoreOptions {
  /**
   * Memory mode has no refresh token after a reload. true: when there is no session, make one
   * top-level `prompt=none` redirect to the provider (at most once per tab until a login
   * succeeds); its callback goes to handleRedirectCallback(), which yields the user or
   * rejects with `login_required`. restore() then resolves null while the page navigates.
   */
  silentRedirect?: boolean;
  /** Where handleRedirectCallback() says to go after the silent round trip. */
  returnTo?: string;
}

/**
 * "user": logout() here; "everywhere": logout({ everywhere: true }) here; "other_tab": another
 * tab of this browser logged out (either way); "session_expired": the server refused the
 * refresh (invalid_grant), in this tab or in another one that told this one.
 */
/**
 * `holder_gone` (memory mode): the tab that held the refresh token closed or crashed without
 * handing it to another tab, so the session cannot be refreshed (docs/tabs.md).
 */
export type LogoutReason = "user" | "session_expired" | "other_tab" | "everywhere" | "holder_gone";

export interface AuthEvents {
  login: { user: AuthUser; source: "redirect" | "password" | "restore" | "other_tab" };
  logout: { reason: LogoutReason };
  refresh: { expiresIn: number; source: "network" | "other_tab" };
  error: { error: AuthError };
}

export interface SessionInfo {
  user: AuthUser | null;
  /** Seconds until the access token expires (by the monotonic clock), or null. */
  expiresIn: number | null;
  /** Claims of the current access token when it is a JWT; never the token itself. */
  accessTokenClaims: Record<string, unknown> | null;
  refreshCount: number;
  /** Cross-tab messages this client received, acted on, and ignored (by reason). */
  tabMessages: TabMessageStats;
  /** Memory mode: whether this tab is the one that holds the refresh token. */
  holdsRefreshToken: boolean;
}

export interface TabMessageStats {
  received: number;
  acted: number;
  ignored: { malformed: number; version: number; unknown_type: number; own: number; replay: number;
             stale: number; rejected: number };
}

export interface AuthClient {
  readonly user: AuthUser | null;
  readonly isAuthenticated: boolean;
  /** Redirects to the authorization endpoint (RFC 6749 §4.1.1 + PKCE + nonce). */
  login(options?: LoginOptions): Promise<void>;
  /** Cookie mode, first-party server: POST the login endpoint. */
  loginWithPassword(username: string, password: string): Promise<AuthUser>;
  /** Completes the redirect: checks state and iss, exchanges the code, cleans the URL. */
  handleRedirectCallback(url?: string): Promise<CallbackResult>;
  /** On page load: one silent refresh; the user, or null without an error when there is no session. */
  restore(options?: RestoreOptions): Promise<AuthUser | null>;
  /**
   * OIDC Core §5.3 UserInfo claims, fetched with the access token; rejects with
   * `invalid_response` when their `sub` is not the logged-in user's (§5.3.2).
   */
  userinfo(): Promise<AuthUser>;
  /**
   * fetch with the Bearer token; a 401 invalid_token causes one refresh and one retry. The
   * request runs with the caller's `signal` (no deadline of authwasm's); an abort rejects with
   * the signal's reason, also while the call waits for a refresh.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A valid access token, refreshing first when it has expired; `signal` cancels the wait. */
  getAccessToken(options?: { signal?: AbortSignal }): Promise<string>;
  logout(options?: LogoutOptions): Promise<void>;
  on<E extends keyof AuthEvents>(event: E, listener: (detail: AuthEvents[E]) => void): () => void;
  /** What the demo's session panel shows: never the raw token. */
  session(): SessionInfo;
  /** Stops listening to other tabs and wipes memory, without a server call. */
  close(): void;
}

export declare function createAuthClient(options: AuthClientOptions): Promise<AuthClient>;
