// The package as a consumer imports it: by name, through package.json's exports map.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as authwasm from "authwasm";
import { cases } from "../shared/core.cases.js";

for (const [name, body] of Object.entries(cases)) {
  test(name, () => body(authwasm, assert));
}

test("a failed load rejects with wasm_load_failed and can be retried", async () => {
  // A fresh copy of the loader, so the memoised module of the tests above is not reused.
  const { init } = await import(`../../js/loader.js?fresh=${Date.now()}`);
  await assert.rejects(init({ wasmBinary: new Uint8Array([0, 1, 2, 3]) }),
                       (e) => e.name === "AuthError" && e.code === "wasm_load_failed");
  const module = await init();
  assert.equal(typeof module.call, "function");
});

test("the wasm boundary carries UTF-8 both ways and frees every string it allocates", async () => {
  const module = await authwasm.init();
  const answer = (verifier) => JSON.parse(module.call("pkceChallenge", JSON.stringify({ verifier })));
  // Multi-byte input arrives whole (a length in characters would cut the JSON short: a parse
  // error, not this refusal of the verifier), and the core's UTF-8 message arrives decoded.
  assert.deepEqual(answer("é😀".repeat(30)), answer("x".repeat(200)));
  assert.match(answer("é😀").message, /RFC 7636 §4\.1/);
  const before = module.heapInUse();
  for (let i = 0; i < 2000; i++) answer(`${"é".repeat(i % 100)}${"a".repeat(43)}`);
  assert.equal(module.heapInUse(), before);
  assert.throws(() => module.call("pkceChallenge", 1), TypeError);
});

test("the wasm memory grows for an argument larger than the heap (16 MB at start)", async () => {
  const module = await authwasm.init();
  for (const size of [20e6, 40e6]) {
    const answer = JSON.parse(module.call("decodeJwt", JSON.stringify({ token: "a".repeat(size) })));
    assert.equal(answer.code, "invalid_jwt");
  }
  assert.equal(JSON.parse(module.call("pkceChallenge", JSON.stringify({ verifier: "a".repeat(43) }))).ok, true);
});
