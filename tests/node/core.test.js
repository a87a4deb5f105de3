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
