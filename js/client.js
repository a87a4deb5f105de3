// AuthClient: the I/O around the core. Every decision (what to send, whether an answer is
// acceptable, when to refresh, whether to retry, what ends a session) is made in C++
// (src/session/session.cpp, src/oauth/authorize.cpp, src/oauth/tokens.cpp); this file runs fetch, storage,
// history and events, and holds no token in a variable beyond the request it is sent with.
import { init } from "./loader.js";
import { callCore } from "./core.js";
import { AuthError, requireType } from "./errors.js";
import { Tabs } from "./tabs.js";
import { describeResponse, send } from "./http.js";
import { abortable, checkSignal } from "./abort.js";
import { ApiCall } from "./api-call.js";
import { checkVerifier, discover, verifyTokenResponse } from "./oidc.js";

const EVENTS = ["login", "logout", "refresh", "error"];

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => items.get(k) ?? null, // values are strings
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
  };
}

function defaults(options) {
  const g = globalThis;
  return {
    fetch: options.fetch ?? g.fetch?.bind(g),
    now: options.now ?? Date.now,
    monotonicNow: options.monotonicNow ?? (() => g.performance.now()),
    storage: options.storage ?? g.sessionStorage ?? memoryStorage(),
    navigate: options.navigate ?? ((url) => {
      if (!g.location) throw new AuthError("configuration", "no window.location here: pass options.navigate");
      g.location.assign(url);
    }),
  };
}

// The JSON-able options the core validates (functions and objects stay in JS; `dpop`, checked
// by checkDpop, is a flag there).
function coreOptions(options) {
  const { fetch, now, monotonicNow, storage, channel, locks, navigate, verifier, dpop, dpopKeyStore, ...plain } = options;
  return dpop ? { ...plain, dpop: true } : plain;
}

// `dpop`: the object "authwasm/dpop" exports (js/dpop.js), whose build of the core has the
// DPoP operations; absent or false for none.
function checkDpop(dpop) {
  if (dpop == null || dpop === false) return null;
  if (typeof dpop.init === "function" && typeof dpop.keys === "function") return dpop;
  throw new AuthError("configuration",
    'dpop must be the object "authwasm/dpop" exports (import { dpop } from "authwasm/dpop"; pass { dpop }), or absent');
}

export async function createAuthClient(options) {
  if (!options || typeof options !== "object") throw new AuthError("configuration", "options must be an object");
  const io = defaults(options);
  for (const name of ["fetch", "now", "monotonicNow", "navigate"]) {
    if (typeof io[name] !== "function") throw new AuthError("configuration", `${name} must be a function`);
  }
  const verifier = checkVerifier(options.verifier);
  const dpop = checkDpop(options.dpop);
  const module = await (dpop ? dpop.init() : init());
  // OIDC Discovery (default in memory mode): the provider's metadata, checked in C++.
  const plain = await discover(module, coreOptions(options), io.fetch);
  const { handle } = callCore(module, "create", { options: plain });
  io.verifier = verifier;
  return new Client(module, handle, options, io);
}

class Client {
  #module;
  #handle;
  #io;
  #options;
  #listeners = new Map(EVENTS.map((e) => [e, new Set()]));
  #user = null;
  #refreshing = null; // the in-flight refresh, shared by everyone who joins it
  #tabs; // other tabs of this profile: BroadcastChannel + cross-tab lock (js/tabs.js)
  #maxBytes;
  #cleanup = [];
  #dpop = null;      // DPoP keys (js/dpop.js) with options.dpop
  #dpopJwk = null;   // the public key the core was given
  #holderFailures = 0;    // refresh_failed messages heard from the holder (memory mode)
  #holderFailure = null;  // the last one's code

  constructor(module, handle, options, io) {
    this.#module = module;
    this.#handle = handle;
    this.#options = options;
    this.#io = io;
    this.#maxBytes = options.maxResponseBytes ?? 65536;
    if (options.dpop) {
      this.#dpop = options.dpop.keys({
        id: `${options.issuer}|${options.clientId}`,
        store: options.dpopKeyStore,
        locks: options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks,
      });
    }
    this.#tabs = new Tabs(options, {
      encode: (type, extra) => this.#call("encodeTabMessage", { type, ...extra, ...this.#clock() }).message,
      receive: (message) => this.#call("receiveTabMessage", { message, ...this.#clock() }),
      act: (action) => this.#fromOtherTab(action),
      now: () => this.#io.monotonicNow(),
    });
    this.#cleanup.push(() => this.#tabs.close());
    this.#watchPageLifecycle();
    if (this.#memoryMode) this.#tabs.post("hello"); // the refresh-token holder may hand off to us
  }

  get #memoryMode() {
    return this.#options.refresh === "memory";
  }

  #call(op, args = {}) {
    return callCore(this.#module, op, { handle: this.#handle, ...args });
  }

  #clock() {
    return { wall: Math.floor(this.#io.now()), mono: Math.floor(this.#io.monotonicNow()) };
  }

  // A request the core described. With DPoP: a fresh proof on every attempt, the server's
  // DPoP-Nonce remembered, and one retry when the token endpoint asks for a nonce (§8).
  async #send(request, leftMs) {
    if (!request.dpop) return send(this.#io.fetch, request, this.#maxBytes, leftMs);
    for (let retried = false; ; retried = true) {
      const headers = { ...request.headers, DPoP: await this.#proof(request.method, request.url, request.dpopAth === true) };
      const response = await send(this.#io.fetch, { ...request, headers }, this.#maxBytes, leftMs);
      const { retry } = this.#call("dpopAnswer", { url: request.url, response });
      if (!retry || retried) return response;
    }
  }

  // ------------------------------------------------------------------ DPoP (RFC 9449)
  async #dpopKey() {
    const { jwk } = await this.#dpop.key();
    if (this.#dpopJwk !== jwk) {
      this.#call("setDpopKey", { jwk });
      this.#dpopJwk = jwk;
    }
  }

  // The core builds the proof (src/jose/dpop.cpp); WebCrypto signs it with the non-extractable key.
  async #proof(method, url, resource) {
    await this.#dpopKey();
    const { signingInput } = this.#call("dpopProofInput", { htm: method, htu: url, resource, wall: this.#io.now() });
    const signature = await this.#dpop.sign(signingInput);
    return callCore(this.#module, "dpopProof", { signingInput, signature }).proof;
  }

  #forgetDpopKey() {
    this.#dpop?.forget();
    this.#dpopJwk = null;
    if (this.#dpop && this.#handle !== null) this.#call("setDpopKey", {});
  }

  #emit(event, detail) {
    for (const listener of this.#listeners.get(event)) {
      try {
        listener(detail);
      } catch (error) {
        queueMicrotask(() => { throw error; }); // a listener's bug must not break the client
      }
    }
  }

  get #transactionKey() {
    return `authwasm:transaction:${this.#options.clientId}`;
  }

  get user() {
    return this.#user;
  }

  get isAuthenticated() {
    return this.#call("authorization", this.#clock()).freshness !== "none";
  }

  on(event, listener) {
    if (!this.#listeners.has(event)) throw new AuthError("invalid_argument", `unknown event "${event}"`);
    requireType(listener, "function", "listener");
    this.#listeners.get(event).add(listener);
    return () => this.#listeners.get(event).delete(listener);
  }

  session() {
    const { user, expiresIn, accessTokenClaims, refreshCount, tabMessages, holdsRefreshToken } = this.#call("info", this.#clock());
    return { user, expiresIn, accessTokenClaims, refreshCount, tabMessages, holdsRefreshToken };
  }

  // ------------------------------------------------------------------ login
  async login(options = {}) {
    if (this.#dpop) await this.#dpopKey(); // RFC 9449 §10: dpop_jkt binds the code to the key
    const { url, transaction } = this.#call("beginLogin", {
      returnTo: options.returnTo ?? globalThis.location?.pathname ?? "/",
      prompt: options.prompt,
      extraParams: options.extraParams,
    });
    this.#io.storage.setItem(this.#transactionKey, transaction);
    this.#io.navigate(url);
  }

  async handleRedirectCallback(url = globalThis.location?.href) {
    requireType(url, "string", "url");
    // One round trip only: the transaction is gone before anything else happens, so a
    // replayed callback finds nothing (state_mismatch).
    const transaction = this.#io.storage.getItem(this.#transactionKey);
    this.#io.storage.removeItem(this.#transactionKey);
    let parsed;
    try {
      parsed = this.#call("parseCallback", { url, transaction });
    } finally {
      this.#cleanAddressBar(url);
    }
    const response = await this.#send(parsed.request);
    await this.#verifySignature(response);
    const { user } = this.#call("acceptCodeResponse", { response, transaction, ...this.#clock() });
    this.#io.storage.removeItem(this.#silentKey);
    this.#loggedIn(user, "redirect");
    return { user, returnTo: parsed.returnTo };
  }

  #cleanAddressBar(url) {
    const location = globalThis.location;
    if (!location || location.href !== url || !globalThis.history?.replaceState) return;
    const { cleanUrl } = callCore(this.#module, "cleanCallbackUrl", { url });
    globalThis.history.replaceState(globalThis.history.state, "", cleanUrl);
  }

  async loginWithPassword(username, password) {
    requireType(username, "string", "username");
    requireType(password, "string", "password");
    const { request } = this.#call("passwordLoginRequest", { username, password });
    const response = await this.#send(request);
    const { user } = this.#call("acceptLoginResponse", { response, ...this.#clock() });
    this.#loggedIn(user, "password");
    return user;
  }

  #loggedIn(user, source) {
    this.#tabs.post("logged_in"); // the other tabs adopt this token: logged in without a click
    this.#claimHolder();
    this.#user = user;
    this.#emit("login", { user, source });
  }

  // With the opt-in verifier ("authwasm/verify"): the ID token's signature, before the core
  // checks its claims (src/oauth/tokens.cpp).
  async #verifySignature(response) {
    if (!this.#io.verifier) return;
    const { endpoints, timeoutMs } = this.#call("endpoints");
    await verifyTokenResponse(this.#io.verifier, response, {
      jwksUri: endpoints.jwks, fetch: this.#io.fetch, maxResponseBytes: this.#maxBytes, timeoutMs });
  }

  get #silentKey() {
    return `authwasm:silent:${this.#options.clientId}`;
  }

  async restore(options = {}) {
    const outcome = await this.#refresh();
    if (outcome.ended) {
      // Memory mode has no refresh token after a reload. With silentRedirect the app opts in
      // to one top-level prompt=none round trip (OIDC Core §3.1.2.1); its callback ends in
      // handleRedirectCallback (a user, or login_required). A marker in transaction storage
      // makes it once per tab until a login succeeds, so a provider without a session
      // cannot cause a redirect loop.
      if (options.silentRedirect === true && this.#io.storage.getItem(this.#silentKey) === null) {
        this.#io.storage.setItem(this.#silentKey, "1");
        await this.login({ prompt: "none", returnTo: options.returnTo });
      }
      return null;
    }
    if (!outcome.shared) this.#emit("login", { user: outcome.user, source: "restore" }); // else fired on adoption
    return outcome.user;
  }

  // ------------------------------------------------------------------ refresh
  // Single flight: the core answers "start" to the first caller and "join" to the others
  // while the request is out; all of them get the same outcome.
  #refresh() {
    const step = this.#call("beginRefresh");
    if (step.step === "join") return this.#refreshing;
    if (step.step === "unavailable") {
      // Memory mode without the refresh token: another tab of the profile may hold it.
      if (!this.#memoryMode || !this.#tabs.connected) return Promise.resolve({ ended: true, user: null });
      if (this.#refreshing) return this.#refreshing; // one question to the holder at a time
      const asked = this.#askHolder(step.generation).finally(() => {
        if (this.#refreshing === asked) this.#refreshing = null;
      });
      asked.catch(() => {});
      return (this.#refreshing = asked);
    }
    const wasAuthenticated = this.#user !== null;
    // Across tabs: one refresh at a time (js/tabs.js). Once this tab holds the lock, the core
    // says whether another tab refreshed (its token was adopted) or logged out meanwhile.
    const news = this.#tabs.news;
    // One deadline for the whole flight: waiting while another tab refreshes, then this tab's
    // own request with what is left. N tabs behind a silent server all fail within it, instead
    // of taking their turns (measured before: 4 tabs settled at 1×, 2×, 3×, 4× the deadline).
    const { timeoutMs } = step.request;
    const started = performance.now();
    const waitLimit = AbortSignal.timeout(timeoutMs);
    const flight = this.#tabs.exclusive(async (contended) => {
      if (contended) await this.#tabs.waitForNews(news); // the previous holder's outcome
      const { gate, user } = this.#call("refreshGate", { since: step.generation, ...this.#clock() });
      if (gate !== "proceed") return { ended: gate === "ended", user, shared: true };
      let response;
      try {
        const left = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
        response = await this.#send(step.request, left);
        await this.#verifySignature(response);
      } catch (error) {
        this.#call("abandonRefresh"); // no (acceptable) answer: the session stays as it was
        throw error;
      }
      const outcome = this.#call("finishRefresh", { response, ...this.#clock() });
      this.#user = outcome.ended ? null : outcome.user;
      if (!outcome.ended) this.#tabs.post("refreshed"); // before the lock is released
      else if (wasAuthenticated) this.#tabs.post("session_ended");
      if (outcome.ended && wasAuthenticated) this.#emit("logout", { reason: "session_expired" });
      if (!outcome.ended) this.#emit("refresh", { expiresIn: this.session().expiresIn, source: "network" });
      return outcome;
    }, { signal: waitLimit }).catch((error) => {
      if (error !== waitLimit.reason) throw error;
      this.#call("abandonRefresh"); // never got the lock: nothing was sent, nothing changes
      throw new AuthError("timeout", `another tab's refresh did not end within ${timeoutMs} ms`,
        { cause: { url: step.request.url, timeoutMs } });
    }).finally(() => {
      if (this.#refreshing === flight) this.#refreshing = null; // not a newer flight's
    });
    flight.catch(() => {}); // every caller may have given up (abort): not an unhandled rejection
    this.#refreshing = flight;
    return flight;
  }

  // A fresh Authorization header, refreshing first when the token has expired. An abort ends
  // this caller's wait at once; the refresh itself goes on for the others (js/abort.js).
  async #authorization(signal) {
    if (signal?.aborted) throw signal.reason;
    const fresh = this.#freshAuthorization();
    if (fresh) return fresh;
    let auth = this.#call("authorization", this.#clock());
    if (auth.freshness === "expired") {
      const outcome = await abortable(this.#refresh(), signal);
      if (outcome.ended) throw new AuthError("invalid_grant", "the session has ended; log in again");
      auth = this.#call("authorization", this.#clock());
    }
    if (auth.freshness !== "fresh") throw new AuthError("not_authenticated", "not logged in");
    return auth;
  }

  // The common case without JSON (src/api.hpp fresh_authorization): null unless fresh.
  #freshAuthorization() {
    if (this.#handle === null) return null;
    const line = this.#module.freshAuthorization(this.#handle, Math.floor(this.#io.monotonicNow()));
    if (!line) return null;
    const space = line.indexOf(" ");
    return { freshness: "fresh", generation: Number(line.slice(0, space)), header: line.slice(space + 1) };
  }

  async getAccessToken(options = {}) {
    const signal = checkSignal(options?.signal, "options.signal");
    const { header } = await this.#authorization(signal);
    return header.slice(header.indexOf(" ") + 1); // after "Bearer " or "DPoP "
  }

  // The resource request is the caller's: it runs with the caller's signal (init.signal or the
  // Request's) and no deadline of authwasm's; an abort rejects with the signal's reason.
  async fetch(input, init) {
    const call = new ApiCall(input, init);
    const signal = call.signal;
    let auth = await this.#authorization(signal);
    // At most one refresh retry (RFC 6750 §3.1) and, with DPoP, one nonce retry (RFC 9449 §9):
    // the core says which, and never twice.
    let refreshed = false;
    let nonceRetried = false;
    for (;;) {
      const response = await this.#fetchWith(call, auth.header);
      // Only a 401 can lead to a retry (src/session/session.cpp classify_api_response answers
      // "deliver" for every other status): other answers skip the round trip into the core.
      if (response.status !== 401 || !call.replayable) return response;
      const { action } = this.#call("classifyApiResponse", {
        attempt: refreshed ? 2 : 1,
        nonceRetried,
        generation: auth.generation,
        status: response.status,
        wwwAuthenticate: response.headers.get("www-authenticate") ?? "",
      });
      if (action === "deliver") return response;
      if (action === "nonce_retry") {
        nonceRetried = true;
      } else {
        refreshed = true;
        if (action === "refresh_and_retry") {
          const outcome = await abortable(this.#refresh(), signal);
          if (outcome.ended) return response; // the 401 is the caller's answer; logout has fired
        }
        const next = this.#call("authorization", this.#clock());
        if (next.freshness !== "fresh") return response;
        auth = next;
      }
      await response.body?.cancel().catch(() => {});
    }
  }

  async #fetchWith(call, authorization) {
    const { signal } = call;
    const headers = { Authorization: authorization };
    const dpop = authorization.startsWith("DPoP ");
    if (dpop) headers.DPoP = await abortable(this.#proof(call.method, call.url, true), signal);
    let response;
    try {
      response = await abortable(this.#io.fetch(...call.attempt(headers)), signal); // also when an injected fetch ignores it
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new AuthError("network", `${call.method} ${call.url} got no answer: ${cause?.message ?? cause}`, { cause });
    }
    if (dpop) {
      this.#call("dpopAnswer", { url: call.url, response: {
        status: response.status, dpopNonce: response.headers.get("dpop-nonce") ?? "" } });
    }
    return response;
  }

  // ------------------------------------------------------------------ logout
  async logout(options = {}) {
    const everywhere = options.everywhere === true;
    if (everywhere) await this.#authorization().catch(() => {}); // logout-all needs a live token
    const { requests, endSessionUrl } = this.#call("logoutRequests", {
      everywhere,
      redirect: options.redirect === true,
      postLogoutRedirectUri: options.postLogoutRedirectUri,
      state: options.state,
      ...this.#clock(),
    });
    let failure;
    for (const request of requests) {
      try {
        const response = await this.#send(request);
        if (response.status >= 400) failure ??= new AuthError("server_error", `${request.url} answered ${response.status}`);
      } catch (error) {
        failure ??= error;
      }
    }
    // Memory is wiped whatever the server said: a user who clicked "log out" is logged out here.
    this.#call("wipe");
    this.#user = null;
    if (this.#dpop) { // the key goes for every tab (before they hear of the logout)
      await this.#dpop.destroy();
      this.#forgetDpopKey();
    }
    this.#tabs.post("logged_out");
    this.#emit("logout", { reason: everywhere ? "everywhere" : "user" });
    if (failure) this.#emit("error", { error: failure });
    if (endSessionUrl) this.#io.navigate(endSessionUrl);
  }

  // OIDC Core §5.3: the UserInfo claims, through fetch() (Bearer, one refresh + retry on a
  // 401), accepted only when their `sub` is the logged-in user's (§5.3.2, src/oauth/discovery.cpp).
  // The request has the client's deadline like every other request to the provider.
  async userinfo() {
    const { endpoints, timeoutMs } = this.#call("endpoints");
    if (!endpoints.userinfo) throw new AuthError("configuration", "the provider has no userinfo endpoint");
    const deadline = AbortSignal.timeout(timeoutMs);
    let described;
    try {
      const response = await this.fetch(endpoints.userinfo, {
        headers: { Accept: "application/json" }, credentials: "omit", cache: "no-store", signal: deadline });
      described = await abortable(describeResponse(response, this.#maxBytes), deadline);
    } catch (error) {
      if (!deadline.aborted) throw error;
      throw new AuthError("timeout", `GET ${endpoints.userinfo} did not answer within ${timeoutMs} ms`,
        { cause: { url: endpoints.userinfo, timeoutMs } });
    }
    return this.#call("acceptUserinfo", { response: described }).claims;
  }

  close() {
    this.#leave();
    for (const undo of this.#cleanup) undo();
    this.#cleanup = [];
    if (this.#handle !== null) callCore(this.#module, "destroy", { handle: this.#handle });
    this.#handle = null;
    this.#user = null;
  }

  // ------------------------------------------------------------------ memory mode: one holder
  // Exactly one tab of the profile holds the rotating refresh token (docs/tabs.md "One
  // refresh-token holder"); the others ask it over the channel and adopt what it shares.

  #claimHolder() {
    if (this.#memoryMode && this.#call("info", this.#clock()).holdsRefreshToken) this.#tabs.becomeHolder();
  }

  // A tab without the refresh token: ask the holder, and wait (within the deadline) for a token
  // newer than `generation`, the holder's failure, or the end of the session.
  async #askHolder(generation) {
    const wasAuthenticated = this.#user !== null;
    if ((await this.#tabs.holderAlive()) === false) return this.#holderGone(wasAuthenticated);
    const { timeoutMs } = this.#call("endpoints");
    const started = performance.now();
    const failures = this.#holderFailures;
    this.#tabs.post("token_request");
    let answered = generation;
    for (;;) {
      const left = timeoutMs - (performance.now() - started);
      if (left <= 0) break;
      await this.#tabs.waitForNews(this.#tabs.news, left);
      const { freshness, generation: now } = this.#call("authorization", this.#clock());
      if (freshness === "fresh" && now !== generation) return { ended: false, user: this.#user, shared: true };
      if (freshness === "none" && wasAuthenticated) return { ended: true, user: null, shared: true }; // logged out meanwhile
      if (freshness === "expired" && now !== answered) {
        // The holder's token was fresh when it was sent and is inside the leeway on arrival (a
        // short-lived token, a slow tab): ask again; the holder now finds it due and refreshes.
        answered = now;
        this.#tabs.post("token_request");
      }
      if (this.#holderFailures !== failures) {
        throw new AuthError(this.#holderFailure, "the tab holding the refresh token could not refresh; the session is kept");
      }
    }
    if ((await this.#tabs.holderAlive()) === false) return this.#holderGone(wasAuthenticated);
    throw new AuthError("timeout", `the tab holding the refresh token did not answer within ${timeoutMs} ms`,
      { cause: { timeoutMs } });
  }

  // The holder closed or crashed without handing the refresh token over: the session cannot be
  // refreshed from this profile any more (restore({ silentRedirect }) or login() can start one).
  #holderGone(wasAuthenticated) {
    if (wasAuthenticated) {
      this.#call("wipe");
      this.#user = null;
      this.#emit("logout", { reason: "holder_gone" });
    }
    return { ended: true, user: null, shared: true };
  }

  // The holder, asked for a token: the current one while fresh, else a refresh (whose
  // `refreshed` message answers); a failure is told, so the askers need not wait it out.
  #serve() {
    if (this.#call("authorization", this.#clock()).freshness === "fresh") {
      this.#tabs.post("refreshed");
      return;
    }
    this.#refresh().then((outcome) => {
      if (outcome.shared && !outcome.ended) this.#tabs.post("refreshed");
    }, (error) => {
      const transient = ["network", "timeout", "server_error", "invalid_dpop_proof", "invalid_response"];
      this.#tabs.post("refresh_failed", { code: transient.includes(error?.code) ? error.code : "server_error" });
    });
  }

  // pagehide or close(): the holder hands the refresh token to the tab it heard from last, or
  // it ends with this page (the last tab of the profile: documented). Others say goodbye.
  #leave() {
    if (!this.#memoryMode || this.#handle === null) return;
    if (this.#call("info", this.#clock()).holdsRefreshToken) {
      this.#tabs.post("handoff"); // the core picks the target and forgets the token here
      this.#tabs.releaseHolder();
    } else {
      this.#tabs.post("bye");
    }
  }

  // ------------------------------------------------------------------ other tabs
  // What another tab did, after the core validated it (src/tabs/tab_message.cpp). The core has
  // already adopted the token or wiped this tab; here only the events.
  #fromOtherTab(action) {
    if (this.#handle === null) return;
    if (action.action === "serve") return this.#serve();
    if (action.action === "refresh_failed") {
      this.#holderFailure = action.code;
      this.#holderFailures++;
      return;
    }
    if (action.action === "adopt") {
      if (action.holder) this.#tabs.becomeHolder(); // a hand-off: this tab holds the refresh token now
      const previous = this.#user;
      this.#user = action.user;
      if (previous && previous.sub === action.user?.sub) {
        this.#emit("refresh", { expiresIn: this.session().expiresIn, source: "other_tab" });
      } else {
        this.#emit("login", { user: action.user, source: "other_tab" });
      }
    } else if (action.action === "logout") {
      this.#user = null;
      if (action.type === "logged_out") this.#forgetDpopKey(); // that tab deleted the key
      if (action.wasAuthenticated) {
        this.#emit("logout", { reason: action.type === "session_ended" ? "session_expired" : "other_tab" });
      }
    }
  }

  // ------------------------------------------------------------------ page lifecycle
  // No long timer (a throttled background tab would miss it): the token is checked lazily on
  // use, and when the page becomes visible again or the network comes back.
  #watchPageLifecycle() {
    const g = globalThis;
    if (typeof g.addEventListener !== "function" || typeof g.document === "undefined") return;
    const wake = () => {
      if (g.document.visibilityState === "hidden" || this.#handle === null) return;
      if (this.#call("authorization", this.#clock()).freshness !== "expired") return;
      this.#refresh().catch((error) => this.#emit("error", { error }));
    };
    // bfcache: pagehide gives up the fallback lock; the channel stays open when the page is
    // kept (persisted), so news sent meanwhile arrives on resume (or Chromium evicts the page).
    // Web Locks are released by the browser. On pageshow the token is checked like on wake.
    const hide = (event) => {
      this.#leave(); // also when persisted: a frozen page must not keep the only refresh token
      this.#tabs.pagehide(event.persisted === true);
    };
    g.document.addEventListener("visibilitychange", wake);
    g.addEventListener("online", wake);
    g.addEventListener("pageshow", wake);
    g.addEventListener("pagehide", hide);
    this.#cleanup.push(() => {
      g.document.removeEventListener("visibilitychange", wake);
      g.removeEventListener("online", wake);
      g.removeEventListener("pageshow", wake);
      g.removeEventListener("pagehide", hide);
    });
  }
}
