// Test bodies shared by `node --test` (tests/node/core.test.js) and headless Chromium
// (tests/browser/core.test.js): each case gets the package's exports and an `assert` with
// the node:assert/strict names used here, and throws on failure.
const b64url = (s) => {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const byte of bytes) bin += String.fromCharCode(byte);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const jwt = (header, claims, sig = "c2ln") => `${b64url(header)}.${b64url(claims)}.${sig}`;

async function expectCode(assert, promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "AuthError");
    assert.equal(error.code, code);
    assert.ok(error instanceof Error);
    return true;
  });
}

export const cases = {
  async "createPkcePair gives a 64-char verifier and its S256 challenge"(aw, assert) {
    const pair = await aw.createPkcePair();
    assert.equal(pair.method, "S256");
    assert.match(pair.verifier, /^[A-Za-z0-9_-]{64}$/);
    assert.match(pair.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await aw.pkceChallenge(pair.verifier), pair.challenge);
  },

  async "createPkcePair honours RFC 7636 §4.1 lengths"(aw, assert) {
    assert.equal((await aw.createPkcePair(43)).verifier.length, 43);
    assert.equal((await aw.createPkcePair(128)).verifier.length, 128);
    await expectCode(assert, aw.createPkcePair(42), "invalid_argument");
    await expectCode(assert, aw.createPkcePair(129), "invalid_argument");
    await expectCode(assert, aw.createPkcePair(64.5), "invalid_argument");
  },

  async "verifiers do not repeat"(aw, assert) {
    const seen = new Set();
    for (let i = 0; i < 200; i++) seen.add((await aw.createPkcePair()).verifier);
    assert.equal(seen.size, 200);
  },

  async "pkceChallenge matches RFC 7636 appendix B"(aw, assert) {
    assert.equal(await aw.pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                 "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  },

  async "pkceChallenge refuses verifiers outside §4.1"(aw, assert) {
    await expectCode(assert, aw.pkceChallenge("short"), "invalid_argument");
    await expectCode(assert, aw.pkceChallenge("a".repeat(42) + "+"), "invalid_argument");
    await expectCode(assert, aw.pkceChallenge(42), "invalid_argument");
  },

  async "decodeJwt returns header and claims"(aw, assert) {
    const { header, claims } = await aw.decodeJwt(
      jwt('{"alg":"ES256","kid":"k"}', '{"sub":"alice","exp":1700000000,"f":0.1,"ctl":"a\\u0001b","u":"é😀"}'));
    assert.deepEqual(header, { alg: "ES256", kid: "k" });
    assert.deepEqual(claims, { sub: "alice", exp: 1700000000, f: 0.1, ctl: "a\u0001b", u: "é😀" });
  },

  async "decodeJwt refuses hostile tokens with invalid_jwt"(aw, assert) {
    const hostile = [
      "", "a.b", "a.b.c.d.e", "..",
      jwt('{"alg":"ES256"}', "[]"),
      jwt('{"alg":"ES256"}', "null"),
      jwt('{"alg":"ES256"}', '{"'),
      jwt('{"alg":"ES256","alg":"none"}', "{}"),
      jwt('{"alg":"ES256"}', '{"sub":"a","sub":"b"}'),
      jwt('{"typ":"JWT"}', "{}"),
      jwt('{"alg":"ES256"}', "[".repeat(100000)),
      jwt('{"alg":"ES256"}', '{"n":1e400}'),
      `${b64url('{"alg":"ES256"}')}=.${b64url("{}")}.c2ln`,
      `${b64url('{"alg":"ES256"}')}.${b64url("{}")}.c2l+`,
    ];
    for (const token of hostile) await expectCode(assert, aw.decodeJwt(token), "invalid_jwt");
    await expectCode(assert, aw.decodeJwt(undefined), "invalid_argument");
  },

  async "init is memoised"(aw, assert) {
    assert.equal(await aw.init(), await aw.init());
  },
};
