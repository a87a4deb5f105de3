// authwasm/verify on its own (dist/authwasm-verify.wasm: BN arithmetic, no EVP): signatures
// made by node:crypto, JWKS answers from a stub fetch. RFC 7515 §5.2, RFC 7518 §3.3/§3.4,
// RFC 8017 §8.2.2, SEC 1 §4.1.4; the OIDC suites (tests/oidc) cover it inside the client.
import assert from "node:assert/strict";
import { constants, createHash, createHmac, createPrivateKey, createSign, generateKeyPairSync, privateEncrypt } from "node:crypto";
import { describe, test } from "node:test";

import { loadVerifier } from "../../js/verify.js";

const JWKS_URI = "https://op.example/jwks";
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const claims = { iss: "https://op.example", sub: "alice", aud: "spa", exp: 2000000000, iat: 1700000000 };

// P-256 (SEC 2 §2.4.2): the generator, p and the order n.
const P256 = {
  gx: "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
  gy: "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
  p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
  n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
};
const hex = (h) => Buffer.from(h, "hex");
const big = (buffer) => BigInt(`0x${Buffer.from(buffer).toString("hex") || "0"}`);
const bytes = (value, length) => Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex");

function keyFrom(privateKey, kid, alg) {
  const { d, p, q, dp, dq, qi, ...jwk } = privateKey.export({ format: "jwk" });
  return { privateKey, alg, kid, jwk: { ...jwk, kid, alg, use: "sig" } };
}
const ecKey = (kid) => keyFrom(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, kid, "ES256");
const rsaKey = (kid, options = {}) =>
  keyFrom(generateKeyPairSync("rsa", { modulusLength: 2048, ...options }).privateKey, kid, "RS256");
// An EC key with a chosen private scalar d (Q = d·G): d = 1 gives Q = G, d = n - 1 gives Q = -G.
function ecKeyWithScalar(d, kid) {
  const y = d === 1n ? hex(P256.gy) : bytes(big(hex(P256.p)) - big(hex(P256.gy)), 32);
  const jwk = { kty: "EC", crv: "P-256", x: hex(P256.gx).toString("base64url"), y: y.toString("base64url"), d: bytes(d, 32).toString("base64url") };
  return keyFrom(createPrivateKey({ key: jwk, format: "jwk" }), kid, "ES256");
}

const es = ecKey("ec-1");
const rsa = rsaKey("rsa-1");

function sign(key, header = { alg: key.alg, kid: key.kid }, payload = claims) {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = createSign("SHA256").update(input)
    .sign(key.alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}
const withSignature = (token, signature) => `${token.slice(0, token.lastIndexOf(".") + 1)}${Buffer.from(signature).toString("base64url")}`;
const sha256 = (text) => createHash("sha256").update(text).digest();
const signatureOf = (token) => Buffer.from(token.slice(token.lastIndexOf(".") + 1), "base64url");

// A verifier with an empty JWKS cache whose fetch answers `keys` and counts its calls.
async function verifierFor(keys, { contentType = "application/json" } = {}) {
  const verifier = await loadVerifier();
  const stub = { hits: 0, keys };
  stub.fetch = async (url) => {
    assert.equal(url, JWKS_URI);
    stub.hits += 1;
    return new Response(JSON.stringify({ keys: stub.keys }), { status: 200, headers: { "content-type": contentType } });
  };
  stub.verify = (token) => verifier.verifyIdToken(token, { jwksUri: JWKS_URI, fetch: stub.fetch });
  return stub;
}
const refused = (promise, code = "invalid_id_token") => assert.rejects(promise, (e) => e.name === "AuthError" && e.code === code);

describe("good signatures verify", () => {
  for (const key of [es, rsa]) {
    test(`${key.alg} with its kid`, async () => {
      const v = await verifierFor([es.jwk, rsa.jwk]);
      assert.deepEqual(await v.verify(sign(key)), { alg: key.alg, kid: key.kid });
      assert.deepEqual(await v.verify(sign(key, { alg: key.alg, kid: key.kid, typ: "JWT" })), { alg: key.alg, kid: key.kid });
      assert.equal(v.hits, 1, "the JWKS is fetched once");
    });
  }
  test("ES256 signatures from 20 fresh keys", async () => {
    for (let i = 0; i < 20; i++) {
      const key = ecKey(`k${i}`);
      const v = await verifierFor([key.jwk]);
      assert.deepEqual(await v.verify(sign(key)), { alg: "ES256", kid: `k${i}` });
    }
  });
  test("ES256 with Q = G (u1·G + u2·Q doubles G) and Q = -G (G + Q is the point at infinity)", async () => {
    for (const [d, kid] of [[1n, "q-is-g"], [big(hex(P256.n)) - 1n, "q-is-minus-g"]]) {
      const key = ecKeyWithScalar(d, kid);
      const v = await verifierFor([key.jwk]);
      assert.deepEqual(await v.verify(sign(key)), { alg: "ES256", kid });
      await refused(v.verify(sign(key, undefined, { ...claims, sub: "mallory" }).replace(/\.[^.]*\./, `.${b64(claims)}.`)));
    }
  });
  test("no kid: the one key of the header's type", async () => {
    const v = await verifierFor([es.jwk, rsa.jwk]);
    assert.deepEqual(await v.verify(sign(rsa, { alg: "RS256" })), { alg: "RS256", kid: "" });
  });
  test("RSA with exponent 3 verifies (accepted as it was with EVP: the padding check is exact)", async () => {
    const key = rsaKey("e3", { publicExponent: 3 });
    assert.equal(key.jwk.e, "Aw");
    const v = await verifierFor([key.jwk]);
    assert.deepEqual(await v.verify(sign(key)), { alg: "RS256", kid: "e3" });
  });
});

describe("tampered tokens are refused", () => {
  for (const key of [es, rsa]) {
    test(`${key.alg}: a changed payload, header or signature bit`, async () => {
      const v = await verifierFor([es.jwk, rsa.jwk]);
      const token = sign(key);
      const [h, , s] = token.split(".");
      await refused(v.verify(`${h}.${b64({ ...claims, sub: "mallory" })}.${s}`));
      await refused(v.verify(`${b64({ alg: key.alg, kid: key.kid, typ: "JWT" })}.${token.split(".")[1]}.${s}`));
      for (const index of [0, 31, 32, signatureOf(token).length - 1]) {
        const signature = signatureOf(token);
        signature[index] ^= 1;
        await refused(v.verify(withSignature(token, signature)));
      }
      await refused(v.verify(withSignature(token, signatureOf(token).subarray(1))), "invalid_id_token");
      await refused(v.verify(withSignature(token, Buffer.concat([signatureOf(token), Buffer.alloc(1)]))));
      await refused(v.verify(withSignature(token, Buffer.alloc(0))));
    });
  }
  test("signed by another key under a known kid", async () => {
    const v = await verifierFor([es.jwk]);
    await refused(v.verify(sign(ecKey("ec-1"))));
  });
});

describe("algorithms and keys that never verify", () => {
  test("alg none, HS256 keyed with the public key, PS256, and an RS256 header on an EC kid", async () => {
    const v = await verifierFor([es.jwk, rsa.jwk]);
    await refused(v.verify(`${b64({ alg: "none", kid: "ec-1" })}.${b64(claims)}.`));
    const hsInput = `${b64({ alg: "HS256", kid: "rsa-1" })}.${b64(claims)}`;
    await refused(v.verify(`${hsInput}.${createHmac("sha256", JSON.stringify(rsa.jwk)).update(hsInput).digest("base64url")}`));
    await refused(v.verify(sign(rsa, { alg: "PS256", kid: "rsa-1" })));
    await refused(v.verify(sign(rsa, { alg: "RS256", kid: "ec-1" })));
    await refused(v.verify(sign(es, { alg: "ES256", kid: "rsa-1" })));
  });
  test("ES256 with a DER signature instead of R || S", async () => {
    const v = await verifierFor([es.jwk]);
    const input = `${b64({ alg: "ES256", kid: "ec-1" })}.${b64(claims)}`;
    const der = createSign("SHA256").update(input).sign(es.privateKey);
    await refused(v.verify(`${input}.${der.toString("base64url")}`));
  });
  test("a wrong kid: with a just-fetched JWKS no refetch, with a cached one exactly one", async () => {
    const v = await verifierFor([es.jwk]);
    await refused(v.verify(sign(es, { alg: "ES256", kid: "nobody" })));
    assert.equal(v.hits, 1);
    await v.verify(sign(es)); // a JWKS is cached only once it verified something: fetched again
    assert.equal(v.hits, 2);
    await refused(v.verify(sign(es, { alg: "ES256", kid: "nobody" })));
    assert.equal(v.hits, 3);
  });
  test("a kid that is not a string", async () => {
    const v = await verifierFor([es.jwk]);
    await refused(v.verify(sign(es, { alg: "ES256", kid: 1 })));
  });
});

describe("ES256: r and s outside [1, n-1] (SEC 1 §4.1.4 step 1)", () => {
  const n = big(hex(P256.n));
  test("r or s of 0 or n, and r + n", async () => {
    const v = await verifierFor([es.jwk]);
    const token = sign(es);
    const r = big(signatureOf(token).subarray(0, 32)), s = big(signatureOf(token).subarray(32));
    for (const [rr, ss] of [[0n, s], [r, 0n], [n, s], [r, n], [0n, 0n]]) {
      await refused(v.verify(withSignature(token, Buffer.concat([bytes(rr, 32), bytes(ss, 32)]))));
    }
    if (r + n < 2n ** 256n) await refused(v.verify(withSignature(token, Buffer.concat([bytes(r + n, 32), bytes(s, 32)]))));
    // (r, n - s) is the other valid signature of the same message (ECDSA is malleable).
    assert.deepEqual(await v.verify(withSignature(token, Buffer.concat([bytes(r, 32), bytes(n - s, 32)]))), { alg: "ES256", kid: "ec-1" });
  });
});

describe("RS256: the signature and EMSA-PKCS1-v1_5 encoding (RFC 8017 §8.2.2, §9.2)", () => {
  const sha256DigestInfo = hex("3031300d060960864801650304020105000420");
  const sha1DigestInfo = hex("3021300906052b0e03021a05000414");
  const k = 256;
  // EM = 00 01 FF…FF 00 || T, signed raw (RSA without padding) with the private key.
  const encoded = (t, { type = 1, fill = 0xff } = {}) => {
    const em = Buffer.alloc(k, fill);
    em[0] = 0;
    em[1] = type;
    em[k - t.length - 1] = 0;
    t.copy(em, k - t.length);
    return em;
  };
  const rawSign = (em) => privateEncrypt({ key: rsa.privateKey, padding: constants.RSA_NO_PADDING }, em);
  const input = `${b64({ alg: "RS256", kid: "rsa-1" })}.${b64(claims)}`;

  test("the exact encoding verifies; every near miss is refused", async () => {
    const v = await verifierFor([rsa.jwk]);
    const h = sha256(input);
    const token = (em) => `${input}.${rawSign(em).toString("base64url")}`;
    assert.deepEqual(await v.verify(token(encoded(Buffer.concat([sha256DigestInfo, h])))), { alg: "RS256", kid: "rsa-1" });
    const nearMisses = {
      "SHA-1 DigestInfo": encoded(Buffer.concat([sha1DigestInfo, h.subarray(0, 20)])),
      "DigestInfo without the NULL parameters": encoded(Buffer.concat([hex("302f300b0609608648016503040201" + "0420"), h])),
      "block type 02": encoded(Buffer.concat([sha256DigestInfo, h]), { type: 2 }),
      "padding of 00 instead of FF": encoded(Buffer.concat([sha256DigestInfo, h]), { fill: 0 }),
      "the hash followed by garbage": encoded(Buffer.concat([sha256DigestInfo, h, Buffer.alloc(8, 0x41)])),
      "a changed hash": encoded(Buffer.concat([sha256DigestInfo, sha256(`${input}x`)])),
    };
    for (const [name, em] of Object.entries(nearMisses)) {
      await assert.rejects(v.verify(token(em)), (e) => e.code === "invalid_id_token", name);
    }
  });
  test("a signature ≥ n, or not exactly k bytes long", async () => {
    const v = await verifierFor([rsa.jwk]);
    const modulus = Buffer.from(rsa.jwk.n, "base64url");
    const good = sign(rsa);
    const s = signatureOf(good);
    await refused(v.verify(withSignature(good, modulus)));
    await refused(v.verify(withSignature(good, Buffer.alloc(k, 0xff))));
    await refused(v.verify(withSignature(good, Buffer.concat([Buffer.alloc(1), s]))));
  });
});

describe("JWKS keys that are unusable (RFC 7518 §6)", () => {
  const offCurve = () => {
    const y = Buffer.from(es.jwk.y, "base64url");
    y[31] ^= 1;
    return { ...es.jwk, kid: "off-curve", y: y.toString("base64url") };
  };
  test("an EC point not on P-256, or with a coordinate ≥ p, is skipped", async () => {
    const v = await verifierFor([offCurve()]);
    await refused(v.verify(sign(es)), "invalid_response");
    const v2 = await verifierFor([offCurve(), es.jwk]);
    await refused(v2.verify(sign(es, { alg: "ES256", kid: "off-curve" })));
    // x + p is the same field element as x: refused rather than reduced.
    const x = big(Buffer.from(es.jwk.x, "base64url"));
    if (x + big(hex(P256.p)) < 2n ** 256n) {
      const v3 = await verifierFor([{ ...es.jwk, x: bytes(x + big(hex(P256.p)), 32).toString("base64url") }]);
      await refused(v3.verify(sign(es)), "invalid_response");
    }
    const v4 = await verifierFor([{ ...es.jwk, y: hex(P256.p).toString("base64url") }]);
    await refused(v4.verify(sign(es)), "invalid_response");
  });
  test("RSA shorter than 2048 bits, exponent 1 or even", async () => {
    const small = keyFrom(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey, "small", "RS256");
    await refused((await verifierFor([small.jwk])).verify(sign(small)), "invalid_response");
    for (const e of ["AQ", "Ag", "AAE", ""]) {
      await refused((await verifierFor([{ ...rsa.jwk, e }])).verify(sign(rsa)), "invalid_response");
    }
  });
  test("use enc, an alg that does not fit the kty, another curve", async () => {
    for (const jwk of [{ ...es.jwk, use: "enc" }, { ...es.jwk, alg: "RS256" }, { ...es.jwk, crv: "P-384" }]) {
      await refused((await verifierFor([jwk])).verify(sign(es)), "invalid_response");
    }
  });
});
