// DPoP (RFC 9449) against a real OpenID Provider: oidc-provider with features.dPoP on and
// server nonces REQUIRED, through authwasm's public API with default options (dpop from "authwasm/dpop").
// The key is WebCrypto's (globalThis.crypto.subtle in Node), in the default in-memory store.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createAuthClient } from "../../js/index.js";
import { dpop } from "../../js/dpop.js";
import { CookieJar, authorize, startProvider } from "./provider.js";

const REDIRECT = "http://127.0.0.1/cb";
const b64json = (part) => JSON.parse(Buffer.from(part, "base64url").toString());

let op;
before(async () => {
  op = await startProvider({ dpop: true, ttl: { AccessToken: 2 } });
});
after(() => op?.close());

// Every request the client sends, with its DPoP proof decoded (a browser's network view).
async function loggedIn(options = {}) {
  const wire = [];
  const nav = [];
  const items = new Map();
  const auth = await createAuthClient({
    issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, refresh: "memory", dpop,
    storage: { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) },
    channel: null, locks: null, navigate: (url) => nav.push(url),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const proof = request.headers.get("dpop");
      const response = await fetch(request);
      wire.push({ url: request.url, method: request.method, authorization: request.headers.get("authorization"),
                  proof: proof && { header: b64json(proof.split(".")[0]), claims: b64json(proof.split(".")[1]) },
                  status: response.status, nonce: response.headers.get("dpop-nonce") });
      return response;
    },
    ...options,
  });
  await auth.login();
  const authorizeUrl = new URL(nav.at(-1));
  const callback = await authorize(new CookieJar(), nav.at(-1));
  await auth.handleRedirectCallback(callback);
  return { auth, wire, authorizeUrl };
}

describe("DPoP with oidc-provider (nonces required)", () => {
  test("the redirect flow binds the code to the key and the tokens are DPoP; the nonce challenge costs one retry", async () => {
    const { auth, wire, authorizeUrl } = await loggedIn();
    const exchange = wire.filter((w) => w.url.endsWith("/token"));
    assert.equal(exchange.length, 2, "use_dpop_nonce, then one retry with the nonce");
    assert.equal(exchange[0].status, 400);
    assert.equal(exchange[1].status, 200);
    assert.equal(exchange[1].proof.claims.nonce, exchange[0].nonce);
    const { header, claims } = exchange[1].proof;
    assert.equal(header.typ, "dpop+jwt");
    assert.equal(header.alg, "ES256");
    assert.deepEqual(Object.keys(header.jwk).sort(), ["crv", "kty", "x", "y"]);
    assert.equal(claims.htm, "POST");
    assert.equal(claims.htu, `${op.issuer}/token`);
    assert.ok(claims.jti.length >= 22);
    assert.notEqual(exchange[0].proof.claims.jti, claims.jti, "a fresh proof for the retry");
    assert.equal(claims.ath, undefined, "no ath at the token endpoint");
    assert.ok(authorizeUrl.searchParams.get("dpop_jkt"), "dpop_jkt on the authorization request (§10)");
    assert.equal(auth.isAuthenticated, true);
    assert.match((await auth.getAccessToken()), /^[\w-]+/);
    auth.close();
  });

  test("userinfo with a DPoP-bound token: `DPoP` scheme, ath, and the resource's nonce", async () => {
    const { auth, wire } = await loggedIn();
    const claims = await auth.userinfo();
    assert.equal(claims.sub, "alice");
    const calls = wire.filter((w) => w.url.endsWith("/me"));
    assert.ok(calls.length >= 1 && calls.length <= 2, `${calls.length} userinfo requests`);
    const last = calls.at(-1);
    assert.match(last.authorization, /^DPoP /);
    assert.equal(last.proof.claims.htm, "GET");
    assert.ok(last.proof.claims.ath);
    assert.equal(last.status, 200);
    auth.close();
  });

  test("refresh with a bound refresh token after the 2 s access token expired: 1 refresh grant per expiry, never a loop", async () => {
    const { auth, wire } = await loggedIn();
    const grants = () => wire.filter((w) => w.url.endsWith("/token") && w.status === 200).length;
    const start = grants();
    for (let cycle = 0; cycle < 2; cycle++) {
      await new Promise((r) => setTimeout(r, 2100));
      const users = await Promise.all([auth.userinfo(), auth.userinfo(), auth.getAccessToken()]);
      assert.equal(users[0].sub, "alice");
    }
    const refreshes = grants() - start;
    assert.ok(refreshes >= 2 && refreshes <= 4, `${refreshes} refresh grants for 2 expiries`);
    const tokenRequests = wire.filter((w) => w.url.endsWith("/token")).length;
    assert.ok(tokenRequests <= 2 * (grants() + 1), "at most one nonce retry per grant");
    auth.close();
  });

  test("a provider that answers Bearer when DPoP was asked is refused and nothing is stored", async () => {
    const t = await createAuthClient({
      issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, refresh: "memory", dpop, discovery: false,
      endpoints: { token: "/token" }, channel: null, locks: null, navigate: () => {},
      fetch: async () => new Response(JSON.stringify({ access_token: "a", token_type: "Bearer", expires_in: 60 }),
                                      { status: 200, headers: { "content-type": "application/json" } }),
    });
    await assert.rejects(t.loginWithPassword("alice", "pw"), (e) => e.code === "invalid_response" && /DPoP/.test(e.message));
    assert.equal(t.isAuthenticated, false);
  });

  test("a server that always answers use_dpop_nonce gets exactly one retry, then invalid_dpop_proof", async () => {
    let requests = 0;
    let nonce = 0;
    const t = await createAuthClient({
      issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, dpop,
      channel: null, locks: null, navigate: () => {},
      fetch: async () => {
        requests++;
        return new Response(JSON.stringify({ error: "use_dpop_nonce" }),
          { status: 400, headers: { "content-type": "application/json", "dpop-nonce": `n${++nonce}` } });
      },
    });
    await assert.rejects(t.loginWithPassword("alice", "pw"), (e) => e.code === "invalid_dpop_proof");
    assert.equal(requests, 2);
  });

  test("a resource server that always answers use_dpop_nonce: one nonce retry, then its 401 is the answer", async () => {
    let apiRequests = 0;
    const t = await createAuthClient({
      issuer: op.issuer, clientId: "spa", redirectUri: REDIRECT, dpop, channel: null, locks: null, navigate: () => {},
      fetch: async (input, init) => {
        const url = new Request(input, init).url;
        if (url.endsWith("/auth/login")) {
          return new Response(JSON.stringify({ access_token: "a", token_type: "DPoP", expires_in: 60 }),
                              { status: 200, headers: { "content-type": "application/json" } });
        }
        apiRequests++;
        return new Response("{}", { status: 401, headers: { "www-authenticate": 'DPoP error="use_dpop_nonce"',
                                                             "dpop-nonce": `rs-${apiRequests}` } });
      },
    });
    await t.loginWithPassword("alice", "pw");
    const response = await t.fetch("https://rs.example/api");
    assert.equal(response.status, 401);
    assert.equal(apiRequests, 2);
  });
});
