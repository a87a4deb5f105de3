// DPoP (RFC 9449) on the reference server. First through the PUBLIC client API in Node
// (createAuthClient({ dpop }) with authwasm/dpop's object, default options, a browser-like
// cookie jar) against `--dpop required` with 2-second access tokens; then raw HTTP with proofs built here with
// node:crypto, one hostile proof at a time: each must be refused with the right status and
// error, and counted under its reason in /debug/stats ("dpop.rejected").
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { createAuthClient } from "../../js/index.js";
import { dpop } from "../../js/dpop.js";
import { browserFetch } from "../support/browser-fetch.js";
import { b64json, newKey, proof, sha256, thumbprint } from "../support/dpop-proof.js";
import { rmSync } from "node:fs";
import {
  PASSWORD, debugStats, freshDataDir, jwtClaims, postJson, refresh, refreshCookieOf, register, runServer, sleep,
  startServer,
} from "./server-process.js";

const CLIENT_ID = "authwasm-demo";
const unb64json = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------- proofs built by hand (tests/support/dpop-proof.js)

/**
 * Raw HTTP with one DPoP key, as a client would speak it: it remembers the server's DPoP-Nonce
 * and puts it in every proof. `send` returns the fetch Response.
 */
class RawDpop {
  constructor(server, key = newKey()) {
    this.server = server;
    this.key = key;
    this.nonce = undefined;
  }

  proof(method, path, extra = {}) {
    return proof(this.key, { htm: method, htu: this.server.url + path, nonce: this.nonce, ...extra });
  }

  async send(path, { method = "GET", token, scheme = "DPoP", dpop, headers = {}, body } = {}) {
    const all = { origin: this.server.origin, ...headers };
    if (token) all.authorization = `${scheme} ${token}`;
    if (dpop !== null) {
      all.dpop = dpop ?? this.proof(method, path, token && scheme === "DPoP" ? { ath: sha256(token) } : {});
    }
    const response = await fetch(this.server.url + path, { method, headers: all, body });
    this.nonce = response.headers.get("dpop-nonce") ?? this.nonce;
    return response;
  }

  /** POST /auth/login with a proof; one use_dpop_nonce retry, as RFC 9449 §8 has it. */
  async login(user) {
    const attempt = () => this.send("/auth/login", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user.username, password: user.password }),
    });
    let res = await attempt();
    if (res.status === 400 && (await res.clone().json()).error === "use_dpop_nonce") res = await attempt();
    assert.equal(res.status, 200, `login: ${await res.clone().text()}`);
    const body = await res.json();
    return { body, accessToken: body.access_token, refreshToken: refreshCookieOf(res) };
  }

  /** A proof without a nonce at a token endpoint: the use_dpop_nonce answer names the nonce (§8). */
  async primeNonce() {
    const res = await this.send("/auth/refresh", { method: "POST" });
    assert.equal((await res.json()).error, "use_dpop_nonce");
  }

  refresh(refreshToken, options = {}) {
    return this.send("/auth/refresh", { method: "POST", headers: { cookie: `authwasm_rt=${refreshToken}` }, ...options });
  }
}

/** The dpop.rejected counters that moved while `action` ran: { reason: delta }. */
async function rejectedDuring(server, action) {
  const before = (await debugStats(server)).dpop.rejected;
  const result = await action();
  const after = (await debugStats(server)).dpop.rejected;
  const moved = {};
  for (const [reason, count] of Object.entries(after)) if (count !== before[reason]) moved[reason] = count - before[reason];
  return { result, moved };
}

/** `action` answers `status` with JSON error `error`, and exactly `reason` is counted once. */
async function assertRefused(server, action, { status, error, reason, challenge }) {
  const { result: res, moved } = await rejectedDuring(server, action);
  const body = await res.json();
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error, error, body.error_description);
  assert.deepEqual(moved, reason ? { [reason]: 1 } : {}, `counted: ${JSON.stringify(moved)}`);
  if (challenge) assert.match(res.headers.get("www-authenticate") ?? "", challenge);
  return { res, body };
}

const dpopChallenge = (error) => new RegExp(`^DPoP error="${error}", error_description="[^"]+", algs="ES256"$`);

// ---------------------------------------------------------------- through the public API

/** A client as one browser tab sees it, with the requests it sends (proofs decoded). */
async function dpopTab(server, { browser = browserFetch({ origin: server.origin }), ...options } = {}) {
  const wire = [];
  const navigations = [];
  const fetchAndRecord = async (input, init) => {
    const request = new Request(input, init);
    const sent = request.headers.get("dpop");
    const response = await browser.fetch(input, init);
    wire.push({
      path: new URL(request.url).pathname, method: request.method,
      authorization: request.headers.get("authorization")?.split(" ")[0] ?? null,
      proof: sent && { header: unb64json(sent.split(".")[0]), claims: unb64json(sent.split(".")[1]) },
      status: response.status, nonce: response.headers.get("dpop-nonce"),
    });
    return response;
  };
  const auth = await createAuthClient({
    issuer: server.url, clientId: CLIENT_ID, redirectUri: `${server.url}/callback`, dpop,
    fetch: fetchAndRecord, navigate: (url) => navigations.push(url), channel: null, locks: null, ...options,
  });
  const events = [];
  for (const name of ["login", "logout", "refresh", "error"]) auth.on(name, (detail) => events.push(name));
  return { auth, browser, wire, navigations, events };
}

const accessClaimsOf = (auth) => auth.session().accessTokenClaims;

describe("DPoP through the public client (--dpop required, 2 s access tokens)", () => {
  let server;
  before(async () => {
    server = await startServer({ args: ["--dpop", "required", "--access-ttl", "2", "--grace", "0", "--debug-stats"] });
  });
  after(() => server?.stop());

  test("password login: one use_dpop_nonce challenge, then DPoP tokens bound to the client's key", async () => {
    const user = await register(server);
    const { auth, wire, browser } = await dpopTab(server);
    await auth.loginWithPassword(user.username, user.password);
    const logins = wire.filter((w) => w.path === "/auth/login");
    assert.deepEqual(logins.map((w) => w.status), [400, 200], "use_dpop_nonce, then one retry");
    assert.ok(logins[0].nonce, "the challenge carries DPoP-Nonce");
    assert.equal(logins[1].proof.claims.nonce, logins[0].nonce);
    assert.equal(logins[0].proof.claims.nonce, undefined);
    const { header, claims } = logins[1].proof;
    assert.deepEqual([header.typ, header.alg, claims.htm, claims.htu], ["dpop+jwt", "ES256", "POST", `${server.url}/auth/login`]);
    assert.equal(accessClaimsOf(auth).cnf.jkt, thumbprint(header.jwk), "cnf.jkt is the proof key's thumbprint");
    assert.equal(auth.user.sub, user.sub);
    assert.ok(browser.hasCookie("authwasm_rt"));
  });

  test("API calls: DPoP scheme + a proof with ath; at expiry one refresh (same key) and the call succeeds", async () => {
    const user = await register(server);
    const { auth, wire } = await dpopTab(server);
    await auth.loginWithPassword(user.username, user.password);
    const jkt = accessClaimsOf(auth).cnf.jkt;
    const posts = await auth.fetch(`${server.url}/api/posts`);
    assert.equal(posts.status, 200);
    assert.equal((await posts.json()).viewer, user.sub);
    const call = wire.at(-1);
    assert.deepEqual([call.authorization, call.proof.claims.htm, call.proof.claims.htu], ["DPoP", "GET", `${server.url}/api/posts`]);
    assert.ok(call.proof.claims.ath && call.proof.claims.nonce, "ath and the login's nonce");
    const me = await auth.fetch(`${server.url}/auth/me`);
    assert.deepEqual(await me.json(), { sub: user.sub, username: user.username });

    const before = await debugStats(server);
    for (let cycle = 1; cycle <= 2; cycle++) {
      await sleep(auth.session().expiresIn * 1000 + 50);
      const res = await auth.fetch(`${server.url}/api/posts`);
      assert.equal(res.status, 200, `cycle ${cycle}`);
      assert.equal(accessClaimsOf(auth).cnf.jkt, jkt, "the refreshed token is bound to the same key");
    }
    const after = await debugStats(server);
    assert.equal(after.refresh_rotated - before.refresh_rotated, 2, "one rotation per expiry");
    assert.equal(after.refresh_rejected - before.refresh_rejected, 0);
    const refreshes = wire.filter((w) => w.path === "/auth/refresh");
    assert.ok(refreshes.every((w) => w.proof?.claims.htu === `${server.url}/auth/refresh` && !w.proof.claims.ath));
  });

  test("logout revokes the bound family: the old cookie is refused even with a proof", async () => {
    const user = await register(server);
    const { auth, browser, events } = await dpopTab(server);
    await auth.loginWithPassword(user.username, user.password);
    const cookie = browser.cookies.get("authwasm_rt").value;
    await auth.logout();
    assert.equal(auth.isAuthenticated, false);
    assert.deepEqual(events, ["login", "logout"]);
    await assert.rejects(auth.fetch(`${server.url}/api/posts`), (e) => e.code === "not_authenticated");
    const thief = new RawDpop(server);
    await thief.primeNonce();
    const res = await thief.refresh(cookie);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: "invalid_grant", error_description: "the session was revoked" });
  });

  test("logout({ everywhere: true }): logout-all carries a resource proof (ath) and ends the user's other sessions", async () => {
    const user = await register(server);
    const here = await dpopTab(server);
    const elsewhere = await dpopTab(server); // another browser: its own cookie and key
    await here.auth.loginWithPassword(user.username, user.password);
    await elsewhere.auth.loginWithPassword(user.username, user.password);
    const errors = [];
    here.auth.on("error", ({ error }) => errors.push(error.code));
    await here.auth.logout({ everywhere: true });
    const all = here.wire.filter((w) => w.path === "/auth/logout-all");
    assert.equal(all.at(-1).status, 200, `logout-all answered ${all.map((w) => w.status)}`);
    assert.equal(all.at(-1).authorization, "DPoP");
    assert.ok(all.at(-1).proof.claims.ath, "bound to the access token");
    assert.deepEqual(errors, []);
    await sleep(elsewhere.auth.session().expiresIn * 1000 + 50);
    await assert.rejects(elsewhere.auth.getAccessToken(), (e) => e.code === "invalid_grant");
  });

  test("the redirect flow: dpop_jkt on /authorize binds the code; the exchange proves that key", async () => {
    const user = await register(server);
    const { auth, browser, navigations, wire } = await dpopTab(server);
    await auth.login();
    const authorize = new URL(navigations[0]);
    const dpopJkt = authorize.searchParams.get("dpop_jkt");
    assert.match(dpopJkt, /^[A-Za-z0-9_-]{43}$/);
    const form = new URLSearchParams(authorize.searchParams);
    form.set("username", user.username);
    form.set("password", PASSWORD);
    const posted = await browser.fetch(`${server.url}/authorize`, {
      method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(posted.status, 302);
    await auth.handleRedirectCallback(posted.headers.get("location"));
    const exchange = wire.filter((w) => w.path === "/token");
    assert.deepEqual(exchange.map((w) => w.status), [400, 200], "the nonce challenge did not spend the code");
    assert.equal(thumbprint(exchange[1].proof.header.jwk), dpopJkt);
    assert.equal(accessClaimsOf(auth).cnf.jkt, dpopJkt);
    assert.equal((await auth.fetch(`${server.url}/api/posts`)).status, 200);
  });

  test("a reload with the same key store restores by a refresh with the same key", async () => {
    const user = await register(server);
    const keys = new Map();
    const dpopKeyStore = { get: async (id) => keys.get(id), set: async (id, k) => void keys.set(id, k), delete: async (id) => void keys.delete(id) };
    const first = await dpopTab(server, { dpopKeyStore });
    await first.auth.loginWithPassword(user.username, user.password);
    const reloaded = await dpopTab(server, { browser: first.browser, dpopKeyStore });
    await reloaded.auth.restore();
    assert.equal(reloaded.auth.user?.sub, user.sub);
    assert.equal(accessClaimsOf(reloaded.auth).cnf.jkt, accessClaimsOf(first.auth).cnf.jkt);
  });

  test("a reload that lost the key (a memory key store) refreshes with another key: the family is revoked", async () => {
    const user = await register(server);
    const first = await dpopTab(server);
    await first.auth.loginWithPassword(user.username, user.password);
    const cookie = first.browser.cookies.get("authwasm_rt").value;
    const reloaded = await dpopTab(server, { browser: first.browser }); // a new in-memory key
    const { moved } = await rejectedDuring(server, () => reloaded.auth.restore().catch((e) => e));
    assert.deepEqual(moved, { key_mismatch: 1 });
    assert.equal(reloaded.auth.isAuthenticated, false);
    assert.equal(first.browser.hasCookie("authwasm_rt"), false, "the server cleared the cookie");
    const res = await first.auth.fetch(`${server.url}/api/posts`); // the first tab's token still lives
    assert.equal(res.status, 200, "an issued access token is not recalled (server/README.md)");
    const reused = await refresh(server, cookie, { origin: server.origin });
    assert.equal(reused.status, 400, "without a proof: refused before the family is looked up");
  });
});

// ---------------------------------------------------------------- raw hostile proofs

describe("hostile proofs (--dpop required)", () => {
  let server, user, owner, session;
  before(async () => {
    server = await startServer({ args: ["--dpop", "required", "--debug-stats", "--grace", "0"] });
    user = await register(server);
    owner = new RawDpop(server);
    session = await owner.login(user);
  });
  after(() => server?.stop());

  const api = (overrides = {}, options = {}) => owner.send("/api/posts", {
    token: session.accessToken,
    dpop: owner.proof("GET", "/api/posts", { ath: sha256(session.accessToken), ...overrides }),
    ...options,
  });
  const refusedProof = (reason, overrides) => assertRefused(server, () => api(overrides),
    { status: 401, error: "invalid_dpop_proof", reason, challenge: dpopChallenge("invalid_dpop_proof") });

  test("the login answer: token_type DPoP, cnf.jkt, DPoP-Nonce; discovery names ES256", async () => {
    assert.equal(session.body.token_type, "DPoP");
    assert.equal(jwtClaims(session.accessToken).cnf.jkt, thumbprint(owner.key.jwk));
    assert.ok(owner.nonce);
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.deepEqual(discovery.dpop_signing_alg_values_supported, ["ES256"]);
  });

  test("a good proof is accepted; htu is compared after RFC 3986 normalisation, without the query", async () => {
    assert.equal((await api()).status, 200);
    const { port } = new URL(server.url);
    const htu = `HTTP://127.0.0.1:${port}/api/./x/../posts?page=2#top`;
    assert.equal((await api({ htu })).status, 200, htu);
    const withQuery = await owner.send("/api/posts?page=2", { token: session.accessToken,
      dpop: owner.proof("GET", "/api/posts", { ath: sha256(session.accessToken) }) });
    assert.equal(withQuery.status, 200, "the request's query is not part of htu");
  });

  test("a replayed proof", async () => {
    const replayed = owner.proof("GET", "/api/posts", { ath: sha256(session.accessToken) });
    assert.equal((await api({}, { dpop: replayed })).status, 200);
    await assertRefused(server, () => api({}, { dpop: replayed }),
      { status: 401, error: "invalid_dpop_proof", reason: "replay", challenge: dpopChallenge("invalid_dpop_proof") });
  });

  test("wrong htu, wrong htm", async () => {
    await refusedProof("htu", { htu: `${server.url}/api/other` });
    await refusedProof("htu", { htu: `https://evil.example/api/posts` });
    await refusedProof("htm", { htm: "POST" });
  });

  test("wrong or missing ath", async () => {
    await refusedProof("ath", { ath: sha256("another token") });
    await refusedProof("ath", { ath: undefined });
  });

  test("a proof signed by another key than cnf.jkt", async () => {
    const other = newKey();
    await assertRefused(server, () => api({}, { dpop: proof(other, { htm: "GET", htu: `${server.url}/api/posts`,
      ath: sha256(session.accessToken), nonce: owner.nonce }) }),
    { status: 401, error: "invalid_dpop_proof", reason: "key_mismatch", challenge: dpopChallenge("invalid_dpop_proof") });
  });

  test("alg none, HS256, typ jwt, a private jwk, a signature by another key", async () => {
    await refusedProof("alg", { header: { alg: "none" } });
    await refusedProof("alg", { header: { alg: "HS256" } });
    await refusedProof("alg", { header: { alg: "es256" } });
    await refusedProof("typ", { header: { typ: "jwt" } });
    const { d } = owner.key.privateKey.export({ format: "jwk" });
    await refusedProof("jwk", { header: { jwk: { ...owner.key.jwk, d } } });
    await refusedProof("jwk", { header: { jwk: { ...owner.key.jwk, crv: "P-384" } } });
    await refusedProof("signature", { signWith: newKey() });
  });

  test("iat outside ±60 s; inside it is accepted", async () => {
    await refusedProof("iat", { claims: { iat: nowSeconds() - 300 } });
    await refusedProof("iat", { claims: { iat: nowSeconds() + 300 } });
    assert.equal((await api({ claims: { iat: nowSeconds() - 45 } })).status, 200);
    assert.equal((await api({ claims: { iat: nowSeconds() + 45 } })).status, 200);
  });

  test("malformed proofs and two DPoP headers", async () => {
    await refusedProof("malformed", { claims: { jti: undefined } });
    await refusedProof("malformed", { claims: { iat: "now" } });
    await assertRefused(server, () => api({}, { dpop: "not.a.jwt" }), { status: 401, error: "invalid_dpop_proof", reason: "malformed" });
    const two = await rejectedDuring(server, () => new Promise((resolve, reject) => {
      const a = owner.proof("GET", "/api/posts", { ath: sha256(session.accessToken) });
      const b = owner.proof("GET", "/api/posts", { ath: sha256(session.accessToken) });
      const req = httpRequest(`${server.url}/api/posts`, { headers: { authorization: `DPoP ${session.accessToken}`, DPoP: [a, b] } },
        (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
        });
      req.on("error", reject);
      req.end();
    }));
    assert.equal(two.result.status, 401);
    assert.equal(two.result.body.error, "invalid_dpop_proof");
    assert.deepEqual(two.moved, { multiple_headers: 1 });
  });

  test("no credentials: the bare DPoP challenge (a server that requires DPoP names only DPoP)", async () => {
    const res = await fetch(`${server.url}/api/posts`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'DPoP algs="ES256"');
  });

  test("the DPoP scheme without a proof; a bound token sent as Bearer (§7.2)", async () => {
    await assertRefused(server, () => api({}, { dpop: null }),
      { status: 401, error: "invalid_dpop_proof", reason: "missing", challenge: dpopChallenge("invalid_dpop_proof") });
    await assertRefused(server, () => api({}, { dpop: null, scheme: "Bearer" }),
      { status: 401, error: "invalid_token", reason: "bearer_downgrade", challenge: dpopChallenge("invalid_token") });
    await assertRefused(server, () => api({}, { scheme: "Bearer" }),
      { status: 401, error: "invalid_token", reason: "bearer_downgrade", challenge: dpopChallenge("invalid_token") });
  });

  test("a missing or made-up nonce: 401 use_dpop_nonce with a fresh DPoP-Nonce (not counted as a rejection)", async () => {
    for (const nonce of [undefined, "made-up-nonce"]) {
      const { res } = await assertRefused(server, () => api({ nonce }),
        { status: 401, error: "use_dpop_nonce", challenge: dpopChallenge("use_dpop_nonce") });
      assert.match(res.headers.get("dpop-nonce"), /^[A-Za-z0-9_-]{22}$/);
    }
    assert.equal((await api()).status, 200);
  });

  test("token requests: without a proof 400 invalid_dpop_proof; a bad proof 400 invalid_dpop_proof; no nonce 400 use_dpop_nonce", async () => {
    const login = (dpop) => owner.send("/auth/login", { method: "POST", dpop, headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user.username, password: user.password }) });
    await assertRefused(server, () => login(null), { status: 400, error: "invalid_dpop_proof", reason: "missing" });
    await assertRefused(server, () => login(owner.proof("GET", "/auth/login")), { status: 400, error: "invalid_dpop_proof", reason: "htm" });
    const { res } = await assertRefused(server, () => login(owner.proof("POST", "/auth/login", { nonce: undefined })),
      { status: 400, error: "use_dpop_nonce" });
    assert.ok(res.headers.get("dpop-nonce"));
    const stats = await debugStats(server);
    assert.equal((await login()).status, 200);
    assert.equal((await debugStats(server)).logins - stats.logins, 1);
  });

  test("a refresh with another key is refused and revokes the family", async () => {
    const victim = await owner.login(user);
    const thief = new RawDpop(server);
    thief.nonce = owner.nonce;
    const { res } = await assertRefused(server, () => thief.refresh(victim.refreshToken),
      { status: 401, error: "invalid_grant", reason: "key_mismatch" });
    assert.equal(refreshCookieOf(res), "", "the cookie is cleared");
    const after = await owner.refresh(victim.refreshToken);
    assert.equal(after.status, 401);
    assert.equal((await after.json()).error_description, "the session was revoked");
  });

  test("a refresh with the family's key rotates; without a proof it is refused and nothing changes", async () => {
    const s = await owner.login(user);
    await assertRefused(server, () => owner.refresh(s.refreshToken, { dpop: null }),
      { status: 400, error: "invalid_dpop_proof", reason: "missing" });
    const rotated = await owner.refresh(s.refreshToken);
    assert.equal(rotated.status, 200);
    const body = await rotated.json();
    assert.equal(body.token_type, "DPoP");
    assert.equal(jwtClaims(body.access_token).cnf.jkt, thumbprint(owner.key.jwk));
  });

  test("CORS: the preflight allows the DPoP header; answers expose DPoP-Nonce and WWW-Authenticate", async () => {
    const preflight = await fetch(`${server.url}/auth/refresh`, { method: "OPTIONS",
      headers: { origin: server.origin, "access-control-request-method": "POST", "access-control-request-headers": "dpop" } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers"), /\bDPoP\b/);
    const res = await api();
    assert.deepEqual(res.headers.get("access-control-expose-headers").split(/,\s*/).sort(), ["DPoP-Nonce", "WWW-Authenticate"]);
  });
});

// ---------------------------------------------------------------- the other modes

describe("--dpop allowed (the default)", () => {
  let server, user;
  before(async () => {
    server = await startServer({ args: ["--debug-stats", "--grace", "0"] });
    user = await register(server);
  });
  after(() => server?.stop());

  test("without a proof: Bearer tokens, no cnf; with one: DPoP", async () => {
    const plain = await postJson(server, "/auth/login", { username: user.username, password: user.password });
    const body = await plain.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(jwtClaims(body.access_token).cnf, undefined);
    assert.equal(plain.headers.get("dpop-nonce"), null, "no DPoP-Nonce without a proof");
    const bound = await new RawDpop(server).login(user);
    assert.equal(bound.body.token_type, "DPoP");
  });

  test("a bound family refreshed without a proof is refused, and the session is kept", async () => {
    const raw = new RawDpop(server);
    const s = await raw.login(user);
    await assertRefused(server, () => refresh(server, s.refreshToken), { status: 400, error: "invalid_dpop_proof", reason: "missing" });
    assert.equal((await raw.refresh(s.refreshToken)).status, 200);
  });

  test("an unbound family is bound by its first refresh with a proof", async () => {
    const plain = await postJson(server, "/auth/login", { username: user.username, password: user.password });
    const raw = new RawDpop(server);
    await raw.primeNonce();
    const bound = await raw.refresh(refreshCookieOf(plain));
    assert.equal(bound.status, 200);
    const body = await bound.json();
    assert.equal(body.token_type, "DPoP");
    assert.equal(jwtClaims(body.access_token).cnf.jkt, thumbprint(raw.key.jwk));
    const next = refreshCookieOf(bound);
    await assertRefused(server, () => refresh(server, next), { status: 400, error: "invalid_dpop_proof", reason: "missing" });
  });

  test("dpop_jkt binds the code: an exchange with another key or without a proof is invalid_grant", async () => {
    const key = newKey();
    for (const [prover, reason] of [[new RawDpop(server), "key_mismatch"], [null, "missing"]]) {
      const { code, verifier } = await authorizeCode(server, user, { dpop_jkt: thumbprint(key.jwk) });
      const exchange = () => tokenRequest(server, code, verifier, prover);
      await assertRefused(server, async () => {
        const res = await exchange();
        return res.status === 400 && (await res.clone().json()).error === "use_dpop_nonce" ? exchange() : res;
      }, { status: 400, error: "invalid_grant", reason });
    }
    const owner = new RawDpop(server, key);
    const { code, verifier } = await authorizeCode(server, user, { dpop_jkt: thumbprint(key.jwk) });
    let res = await tokenRequest(server, code, verifier, owner);
    if (res.status === 400) res = await tokenRequest(server, code, verifier, owner); // the nonce retry
    assert.equal(res.status, 200);
    assert.equal(jwtClaims((await res.json()).access_token).cnf.jkt, thumbprint(key.jwk));
  });

  test("a malformed dpop_jkt is refused at /authorize", async () => {
    const { location } = await authorizeCode(server, user, { dpop_jkt: "short" });
    assert.equal(new URL(location).searchParams.get("error"), "invalid_request");
  });
});

/** GET-less /authorize: the form POST with credentials, as the login page would send it. */
async function authorizeCode(server, user, extra = {}) {
  const verifier = randomBytes(32).toString("base64url");
  const form = new URLSearchParams({
    response_type: "code", client_id: CLIENT_ID, redirect_uri: `${server.url}/callback`,
    code_challenge: sha256(verifier), code_challenge_method: "S256", username: user.username, password: user.password, ...extra,
  });
  const res = await fetch(`${server.url}/authorize`, { method: "POST", body: form, redirect: "manual",
    headers: { origin: server.origin, "content-type": "application/x-www-form-urlencoded" } });
  const location = res.headers.get("location");
  return { location, code: location && new URL(location).searchParams.get("code"), verifier };
}

function tokenRequest(server, code, verifier, prover) {
  const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: `${server.url}/callback`,
    client_id: CLIENT_ID, code_verifier: verifier });
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (!prover) return fetch(`${server.url}/token`, { method: "POST", body, headers: { origin: server.origin, ...headers } });
  return prover.send("/token", { method: "POST", body, headers });
}

describe("--dpop off", () => {
  let server, user;
  before(async () => {
    server = await startServer({ args: ["--dpop", "off"] });
    user = await register(server);
  });
  after(() => server?.stop());

  test("the DPoP header is ignored: Bearer tokens; the DPoP scheme is not accepted", async () => {
    const raw = new RawDpop(server);
    const res = await raw.send("/auth/login", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user.username, password: user.password }) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(res.headers.get("dpop-nonce"), null);
    const api = await raw.send("/api/posts", { token: body.access_token });
    assert.equal(api.status, 401);
    assert.match(api.headers.get("www-authenticate"), /^Bearer /);
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.equal(discovery.dpop_signing_alg_values_supported, undefined);
  });
});

describe("server nonces rotate (--dpop-nonce-step 2)", () => {
  test("a nonce is accepted during its step and the next, then answered with use_dpop_nonce and a new one", async () => {
    const server = await startServer({ args: ["--dpop", "required", "--dpop-nonce-step", "2", "--debug-stats"] });
    try {
      const user = await register(server);
      const raw = new RawDpop(server);
      // Steps are whole multiples of 2 s of Unix time; start just after one begins.
      await sleep(2000 - (Date.now() % 2000) + 100);
      const { accessToken } = await raw.login(user);
      const nonce = raw.nonce;
      const call = () => raw.send("/api/posts", { token: accessToken,
        dpop: raw.proof("GET", "/api/posts", { ath: sha256(accessToken), nonce }) });
      await sleep(2000);  // the next step: the previous nonce is still good
      assert.equal((await call()).status, 200);
      assert.notEqual(raw.nonce, nonce, "the answer carried the new step's nonce");
      await sleep(2000);  // two steps later: stale
      const stale = await call();
      assert.equal(stale.status, 401);
      assert.equal((await stale.json()).error, "use_dpop_nonce");
    } finally {
      await server.stop();
    }
  });
});

describe("limits", () => {
  test("a full replay cache fails closed: 503, never forgets a jti early", async () => {
    const server = await startServer({ args: ["--dpop-nonce", "off", "--dpop-replay-cache", "2", "--debug-stats"] });
    try {
      const raw = new RawDpop(server);
      const login = () => raw.send("/auth/login", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "nobody", password: "wrong password" }) });
      assert.equal((await login()).status, 401, "the proof passed, the password did not");
      assert.equal((await login()).status, 401);
      const { res } = await assertRefused(server, login, { status: 503, error: "temporarily_unavailable", reason: "cache_full" });
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal((await debugStats(server)).dpop.replay_cache_size, 2);
    } finally {
      await server.stop();
    }
  });

  test("bad --dpop values exit 2", async () => {
    for (const args of [["--dpop", "maybe"], ["--dpop-nonce", "yes"], ["--dpop-nonce-step", "0"]]) {
      const { code, stderr } = await runServer(["--port", "0", "--data-dir", freshDataDir(), ...args]);
      assert.equal(code, 2, stderr);
    }
    const fromEnv = await runServer(["--port", "0", "--data-dir", freshDataDir()], { env: { AUTHWASM_DPOP: "sometimes" } });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /AUTHWASM_DPOP: --dpop: expected off, allowed or required/);
  });
});

describe("schema version 2 (the DPoP columns), upgraded to the current version", () => {
  const skip = spawnSync("sqlite3", ["-version"]).status === 0 ? false : "needs the sqlite3 command-line shell";
  test("a version-1 database gains the columns in place; its sessions survive, unbound", { skip }, async () => {
    const dataDir = freshDataDir();
    const sqlite = (sql) => execFileSync("sqlite3", [join(dataDir, "authwasm.sqlite3"), sql], { encoding: "utf8" }).trim();
    const first = await startServer({ dataDir });
    const user = await register(first);
    const login = await postJson(first, "/auth/login", { username: user.username, password: user.password });
    assert.equal(await first.stop({ keepData: true }), 0);
    sqlite("ALTER TABLE families DROP COLUMN dpop_jkt; ALTER TABLE auth_codes DROP COLUMN dpop_jkt; PRAGMA user_version = 1;");
    const second = await startServer({ dataDir });
    const res = await refresh(second, refreshCookieOf(login));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).token_type, "Bearer");
    await second.stop({ keepData: true });
    assert.equal(sqlite("PRAGMA user_version"), "4");
    assert.equal(sqlite("SELECT count(*) FROM pragma_table_info('families') WHERE name = 'dpop_jkt'"), "1");
    rmSync(dataDir, { recursive: true, force: true });
  });
});
