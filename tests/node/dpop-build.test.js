// DPoP is opt-in by import (js/dpop.js, CMakeLists.txt "core module"): the default core build
// has none of RFC 9449's operations and refuses a DPoP client; authwasm/dpop's build has them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { init } from "authwasm";
import { dpop } from "authwasm/dpop";

const call = (module, op, args) => JSON.parse(module.call(op, JSON.stringify(args)));
const OPTIONS = { issuer: "https://idp.example", clientId: "spa", redirectUri: "https://app.example/cb", dpop: true };
const JWK = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" };

test("the default build: no DPoP operations, and a DPoP client is a configuration error", async () => {
  const module = await init();
  const created = call(module, "create", { options: OPTIONS });
  assert.equal(created.code, "configuration");
  assert.match(created.message, /authwasm\/dpop/);
  const { handle } = call(module, "create", { options: { ...OPTIONS, dpop: false } });
  for (const op of ["setDpopKey", "dpopProofInput", "dpopAnswer", "dpopProof"]) {
    assert.deepEqual(call(module, op, { handle, jwk: JWK }), { ok: false, code: "invalid_argument", message: "unknown operation" }, op);
  }
});

test("authwasm/dpop's build: the DPoP operations, a module of its own", async () => {
  const module = await dpop.init();
  assert.notEqual(module, await init(), "not the default module");
  assert.equal(await dpop.init(), module, "memoised");
  const { handle } = call(module, "create", { options: OPTIONS });
  assert.match(call(module, "setDpopKey", { handle, jwk: JWK }).jkt, /^[A-Za-z0-9_-]{43}$/);
  const { signingInput } = call(module, "dpopProofInput", { handle, htm: "GET", htu: "https://api.example/x", wall: 1_700_000_000_000 });
  const header = JSON.parse(Buffer.from(signingInput.split(".")[0], "base64url"));
  assert.deepEqual(header, { typ: "dpop+jwt", alg: "ES256", jwk: JWK });
});
