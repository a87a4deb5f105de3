// Hostile metadata, JWKS and ID tokens from a small fake OpenID Provider on 127.0.0.1: each
// gets a typed AuthError and no session (DESIGN.md §5). The ID-token claim checks run in the
// default module; signatures in the opt-in verifier ("authwasm/verify").
import assert from "node:assert/strict";
import { createHmac, createSign, generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import { createAuthClient } from "../../js/index.js";
import { loadVerifier } from "../../js/verify.js";

const REDIRECT = "http://127.0.0.1/cb";
const CLIENT = "spa";
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");

function keyPair(kind, kid) {
  const { privateKey, publicKey } = kind === "EC"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const alg = kind === "EC" ? "ES256" : "RS256";
  return { privateKey, alg, kid, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" } };
}
const ecKey = keyPair("EC", "ec-1");
const rsaKey = keyPair("RSA", "rsa-1");

function sign(header, claims, key) {
  const input = `${b64(header)}.${b64(claims)}`;
  const signer = createSign("SHA256");
  signer.update(input);
  const signature = signer.sign(key.alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

// The fake provider: every answer comes from `fake`, which each test rewrites.
const fake = {};
let server;
let issuer;
const hits = [];

function reset() {
  const now = Math.floor(Date.now() / 1000);
  fake.metadata = () => ({
    issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`, userinfo_endpoint: `${issuer}/userinfo`,
    code_challenge_methods_supported: ["S256"], response_types_supported: ["code"],
    authorization_response_iss_parameter_supported: true,
  });
  fake.metadataRaw = null; // { status, type, body } overrides metadata()
  fake.jwks = () => ({ keys: [ecKey.jwk, rsaKey.jwk] });
  fake.jwksRaw = null;
  fake.claims = (nonce) => ({ iss: issuer, sub: "alice", aud: CLIENT, exp: now + 300, iat: now, nonce });
  fake.header = (key) => ({ alg: key.alg, kid: key.kid, typ: "JWT" });
  fake.key = ecKey;
  fake.idToken = (nonce) => sign(fake.header(fake.key), fake.claims(nonce), fake.key);
  fake.userinfo = () => ({ sub: "alice" });
  hits.length = 0;
}

let lastNonce = "";
before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    hits.push(path);
    let body = "";
    for await (const chunk of req) body += chunk;
    const json = (value, status = 200, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(typeof value === "string" ? value : JSON.stringify(value));
    };
    if (path === "/.well-known/openid-configuration") {
      const raw = fake.metadataRaw;
      return raw ? json(raw.body, raw.status ?? 200, raw.type ?? "application/json") : json(fake.metadata());
    }
    if (path === "/jwks") {
      const raw = fake.jwksRaw;
      return raw ? json(raw.body, raw.status ?? 200, raw.type ?? "application/json") : json(fake.jwks());
    }
    if (path === "/userinfo") return json(fake.userinfo());
    if (path === "/token") {
      const form = new URLSearchParams(body);
      return json({ access_token: `at-${hits.length}`, token_type: "Bearer", expires_in: 300,
                    refresh_token: `rt-${hits.length}`, id_token: fake.idToken(form.get("grant_type") === "refresh_token" ? lastNonce : lastNonce) });
    }
    json({ error: "not_found" }, 404);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }));
beforeEach(reset);

function storage() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

async function client(options = {}) {
  const nav = [];
  const auth = await createAuthClient({
    issuer, clientId: CLIENT, redirectUri: REDIRECT, refresh: "memory", storage: storage(),
    channel: null, locks: null, navigate: (u) => nav.push(u), ...options,
  });
  return { auth, nav };
}

// login → the "provider" redirects back at once with a code; the nonce goes into the ID token.
async function login(options) {
  const c = await client(options);
  await c.auth.login();
  const request = new URL(c.nav.at(-1));
  lastNonce = request.searchParams.get("nonce");
  const callback = `${REDIRECT}?code=c0de&state=${request.searchParams.get("state")}&iss=${encodeURIComponent(issuer)}`;
  return { ...c, finish: () => c.auth.handleRedirectCallback(callback) };
}

describe("hostile discovery metadata", () => {
  const cases = [
    ["issuer mismatch", () => { fake.metadata = () => ({ issuer: "https://evil.example", authorization_endpoint: `${issuer}/a`, token_endpoint: `${issuer}/t` }); }, "configuration"],
    ["issuer with a trailing slash", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), issuer: `${issuer}/` }); }, "configuration"],
    ["no PKCE S256", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), code_challenge_methods_supported: ["plain"] }); }, "configuration"],
    ["plain-http endpoint off loopback", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), token_endpoint: "http://evil.example/token" }); }, "invalid_response"],
    ["endpoint not a string", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), authorization_endpoint: ["x"] }); }, "invalid_response"],
    ["no authorization_endpoint", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), authorization_endpoint: undefined }); }, "invalid_response"],
    ["iss_parameter_supported not a boolean", () => { const m = fake.metadata; fake.metadata = () => ({ ...m(), authorization_response_iss_parameter_supported: "yes" }); }, "invalid_response"],
    ["not JSON", () => { fake.metadataRaw = { body: '{"issuer":' }; }, "invalid_response"],
    ["a JSON array", () => { fake.metadataRaw = { body: "[]" }; }, "invalid_response"],
    ["duplicate members", () => { fake.metadataRaw = { body: `{"issuer":"${issuer}","issuer":"https://evil.example"}` }; }, "invalid_response"],
    ["deep nesting", () => { fake.metadataRaw = { body: "[".repeat(100000) }; }, "invalid_response"],
    ["text/html", () => { fake.metadataRaw = { body: JSON.stringify({ issuer }), type: "text/html" }; }, "invalid_response"],
    ["oversized", () => { fake.metadataRaw = { body: JSON.stringify({ issuer, pad: "x".repeat(200000) }) }; }, "invalid_response"],
    ["404", () => { fake.metadataRaw = { body: "{}", status: 404 }; }, "invalid_response"],
    ["500", () => { fake.metadataRaw = { body: "{}", status: 500 }; }, "server_error"],
  ];
  for (const [name, arrange, code] of cases) {
    test(`${name} → ${code}`, async () => {
      arrange();
      await assert.rejects(client(), (e) => e.name === "AuthError" && e.code === code);
    });
  }

  test("authorization_response_iss_parameter_supported makes a callback without iss fail", async () => {
    const c = await client();
    await c.auth.login();
    const state = new URL(c.nav.at(-1)).searchParams.get("state");
    await assert.rejects(c.auth.handleRedirectCallback(`${REDIRECT}?code=x&state=${state}`), { code: "iss_mismatch" });
  });
});

describe("hostile ID token claims (default module)", () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ["wrong aud", (n) => ({ iss: issuer, sub: "alice", aud: "someone-else", exp: now + 300, iat: now, nonce: n })],
    ["several audiences without azp", (n) => ({ iss: issuer, sub: "alice", aud: [CLIENT, "other"], exp: now + 300, iat: now, nonce: n })],
    ["wrong azp", (n) => ({ iss: issuer, sub: "alice", aud: [CLIENT, "other"], azp: "other", exp: now + 300, iat: now, nonce: n })],
    ["wrong nonce", () => ({ iss: issuer, sub: "alice", aud: CLIENT, exp: now + 300, iat: now, nonce: "forged" })],
    ["no nonce", () => ({ iss: issuer, sub: "alice", aud: CLIENT, exp: now + 300, iat: now })],
    ["wrong iss", (n) => ({ iss: "https://evil.example", sub: "alice", aud: CLIENT, exp: now + 300, iat: now, nonce: n })],
    ["expired", (n) => ({ iss: issuer, sub: "alice", aud: CLIENT, exp: now - 3600, iat: now - 7200, nonce: n })],
    ["no sub", (n) => ({ iss: issuer, aud: CLIENT, exp: now + 300, iat: now, nonce: n })],
  ];
  for (const [name, claims] of cases) {
    test(`${name} → invalid_id_token, no session`, async () => {
      fake.claims = claims;
      const c = await login();
      await assert.rejects(c.finish(), { code: "invalid_id_token" });
      assert.equal(c.auth.isAuthenticated, false);
      assert.equal(c.auth.user, null);
    });
  }

  test("alg none → invalid_id_token even without the verifier", async () => {
    fake.idToken = (n) => `${b64({ alg: "none" })}.${b64(fake.claims(n))}.`;
    const c = await login();
    await assert.rejects(c.finish(), { code: "invalid_id_token" });
  });

  test("a refreshed ID token with another sub is refused (OIDC Core §12.2)", async () => {
    const c = await login();
    assert.equal((await c.finish()).user.sub, "alice");
    const claims = fake.claims;
    fake.claims = (n) => ({ ...claims(n), sub: "mallory" });
    await assert.rejects(c.auth.restore(), { code: "invalid_id_token" });
    assert.equal(c.auth.user.sub, "alice", "the session keeps its user");
    fake.claims = (n) => ({ ...claims(n), aud: [CLIENT, "x"], azp: CLIENT });
    await assert.rejects(c.auth.restore(), { code: "invalid_id_token" }); // another aud
    fake.claims = (n) => ({ ...claims(n), iss: `${issuer}/other` });
    await assert.rejects(c.auth.restore(), { code: "invalid_id_token" }); // another iss
    fake.claims = () => ({ ...claims("not-the-login-nonce") });
    await assert.rejects(c.auth.restore(), { code: "invalid_id_token" }); // another nonce
    fake.claims = (n) => { const { nonce, ...rest } = claims(n); return rest; };
    assert.equal((await c.auth.restore()).sub, "alice"); // §12.2: a refreshed ID token may omit nonce
    fake.claims = claims;
    assert.equal((await c.auth.restore()).sub, "alice");
  });

  test("userinfo() refuses claims for another sub (OIDC Core §5.3.2)", async () => {
    const c = await login();
    await c.finish();
    assert.equal((await c.auth.userinfo()).sub, "alice");
    fake.userinfo = () => ({ sub: "mallory", name: "Mallory" });
    await assert.rejects(c.auth.userinfo(), { code: "invalid_response" });
    fake.userinfo = () => ({ name: "no sub" });
    await assert.rejects(c.auth.userinfo(), { code: "invalid_response" });
  });
});

describe("ID token signatures and JWKS (authwasm/verify)", () => {
  let verifier;
  before(async () => {
    verifier = await loadVerifier();
  });
  const fresh = () => loadVerifier(); // one wasm instance; a new verifier has an empty JWKS cache

  for (const key of [ecKey, rsaKey]) {
    test(`${key.alg}: a good signature passes`, async () => {
      fake.key = key;
      const c = await login({ verifier });
      assert.equal((await c.finish()).user.sub, "alice");
    });
  }

  const refused = [
    ["alg none", () => { fake.idToken = (n) => `${b64({ alg: "none", kid: "ec-1" })}.${b64(fake.claims(n))}.`; }],
    ["HS256 keyed with the public key (key confusion)", () => {
      fake.idToken = (n) => {
        const input = `${b64({ alg: "HS256", kid: "rsa-1" })}.${b64(fake.claims(n))}`;
        return `${input}.${createHmac("sha256", JSON.stringify(rsaKey.jwk)).update(input).digest("base64url")}`;
      };
    }],
    ["PS256 (not registered)", () => { fake.header = (k) => ({ alg: "PS256", kid: k.kid }); }],
    ["a tampered payload", () => {
      fake.idToken = (n) => {
        const [h, , s] = sign(fake.header(ecKey), fake.claims(n), ecKey).split(".");
        return `${h}.${b64({ ...fake.claims(n), name: "changed" })}.${s}`;
      };
    }],
    ["signed by another key under a known kid", () => { const other = keyPair("EC", "ec-1"); fake.idToken = (n) => sign(fake.header(other), fake.claims(n), other); }],
    ["ES256 header, RSA-signed (kty mismatch)", () => { fake.idToken = (n) => sign({ alg: "RS256", kid: "ec-1" }, fake.claims(n), rsaKey); }],
    ["no kid with two keys of one type", () => {
      const second = keyPair("EC", "ec-2");
      fake.jwks = () => ({ keys: [ecKey.jwk, second.jwk] });
      fake.header = (k) => ({ alg: k.alg });
    }],
  ];
  for (const [name, arrange] of refused) {
    test(`${name} → invalid_id_token`, async () => {
      arrange();
      const c = await login({ verifier: await fresh() });
      await assert.rejects(c.finish(), { code: "invalid_id_token" });
      assert.equal(c.auth.isAuthenticated, false);
    });
  }

  test("an unknown kid refetches the JWKS once (rotation), then verifies", async () => {
    const v = await fresh();
    const c1 = await login({ verifier: v });
    await c1.finish();
    assert.equal(hits.filter((p) => p === "/jwks").length, 1);
    const rotated = keyPair("EC", "ec-rotated");
    fake.jwks = () => ({ keys: [rotated.jwk] });
    fake.key = rotated;
    const c2 = await login({ verifier: v });
    assert.equal((await c2.finish()).user.sub, "alice");
    assert.equal(hits.filter((p) => p === "/jwks").length, 2);
  });

  test("a kid nobody knows: one refetch at most, then invalid_id_token", async () => {
    const v = await fresh();
    const c1 = await login({ verifier: v });
    await c1.finish(); // JWKS cached
    const stranger = keyPair("EC", "nobody");
    fake.key = stranger;
    const c2 = await login({ verifier: v });
    await assert.rejects(c2.finish(), { code: "invalid_id_token" });
    assert.equal(hits.filter((p) => p === "/jwks").length, 2);
  });

  const badJwks = [
    ["not JSON", { body: "{" }],
    ["no keys array", { body: JSON.stringify({ keys: {} }) }],
    ["no usable key", { body: JSON.stringify({ keys: [{ kty: "oct", k: "AAAA" }] }) }],
    ["oversized", { body: JSON.stringify({ keys: [], pad: "x".repeat(200000) }) }],
    ["text/html", { body: JSON.stringify({ keys: [ecKey.jwk] }), type: "text/html" }],
    ["404", { body: "{}", status: 404 }],
  ];
  for (const [name, raw] of badJwks) {
    test(`JWKS ${name} → invalid_response`, async () => {
      fake.jwksRaw = raw;
      const c = await login({ verifier: await fresh() });
      await assert.rejects(c.finish(), { code: "invalid_response" });
      assert.equal(c.auth.isAuthenticated, false);
    });
  }

  test("a refresh whose ID token fails verification keeps nothing from it", async () => {
    const c = await login({ verifier: await fresh() });
    await c.finish();
    fake.idToken = (n) => `${b64({ alg: "none" })}.${b64(fake.claims(n))}.`;
    await assert.rejects(c.auth.restore(), { code: "invalid_id_token" });
    assert.equal(c.auth.user.sub, "alice");
    assert.equal(c.auth.session().refreshCount, 0);
  });
});
