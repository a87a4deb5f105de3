// Where the wasm comes from, in Node against real HTTP servers: an app's wasmUrl, and every
// way a bad one fails — always an AuthError wasm_load_failed that names the URL, at once.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import createAuthwasmModule from "../../dist/authwasm.js";
import { createWasmLoader, outsideViteDepsCache } from "../../js/wasm-loader.js";
import { startStaticServer } from "../support/static-server.js";

const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
let wasmServer, oddServer, oddOrigin;

before(async () => {
  wasmServer = await startStaticServer(dist);
  // /page.wasm: an SPA's fallback page; /bytes.wasm: the real bytes as application/octet-stream.
  const bytes = await readFile(new URL("authwasm.wasm", pathToFileURL(dist)));
  oddServer = createServer((req, res) => (req.url === "/bytes.wasm"
    ? res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes)
    : res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html>")));
  await new Promise((resolve) => oddServer.listen(0, "127.0.0.1", resolve));
  oddOrigin = `http://127.0.0.1:${oddServer.address().port}`;
});
after(async () => {
  await wasmServer.close();
  await new Promise((resolve) => oddServer.close(resolve));
});

const freshLoader = () => createWasmLoader({
  factory: createAuthwasmModule,
  defaultWasmUrl: () => assert.fail("the default URL is not evaluated when wasmUrl is given"),
  label: "authwasm",
});

async function loadFails(wasmUrl, messagePattern) {
  await assert.rejects(freshLoader()({ wasmUrl }), (error) => {
    assert.equal(error.name, "AuthError");
    assert.equal(error.code, "wasm_load_failed");
    assert.match(error.message, messagePattern);
    return true;
  });
}

test("a wasmUrl served as application/wasm loads, as a string or a URL; so does one served as another type", async () => {
  for (const wasmUrl of [`${wasmServer.url}/authwasm.wasm`, new URL(`${wasmServer.url}/authwasm.wasm`), `${oddOrigin}/bytes.wasm`]) {
    const module = await freshLoader()({ wasmUrl });
    assert.equal(JSON.parse(module.call("pkceChallenge", JSON.stringify({ verifier: "a".repeat(43) }))).ok, true, String(wasmUrl));
  }
});

test("a wasmUrl whose server accepts and never answers fails at the deadline, naming the URL", async () => {
  const silent = createServer(() => {}); // accepts, reads the request, never answers
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${silent.address().port}/authwasm.wasm`;
  try {
    const started = performance.now();
    await assert.rejects(freshLoader()({ wasmUrl: url, timeoutSeconds: 0.5 }), (error) => {
      assert.equal(error.code, "wasm_load_failed");
      assert.match(error.message, new RegExp(`could not load ${url}: GET did not finish within 500 ms`));
      return true;
    });
    assert.ok(performance.now() - started < 5000);
    await assert.rejects(freshLoader()({ wasmUrl: url, timeoutSeconds: 0 }), (e) => e.code === "invalid_argument");
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});

test("a wasmUrl that answers 404 names the URL and the status", async () => {
  const url = `${wasmServer.url}/missing.wasm`;
  await loadFails(url, new RegExp(`^authwasm: could not load ${url}: GET answered 404\\. The file is not served there`));
});

test("a wasmUrl nobody listens on names the URL", async () => {
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${closed.address().port}/authwasm.wasm`;
  await new Promise((resolve) => closed.close(resolve));
  await loadFails(url, new RegExp(`^authwasm: could not load ${url}: `));
});

test("a wasmUrl that answers an HTML page (an SPA fallback) says so instead of a compile error", async () => {
  const url = `${oddOrigin}/page.wasm`;
  await loadFails(url, new RegExp(`^authwasm: could not load ${url}: GET answered an HTML page, not WebAssembly`));
});

test("a wasmUrl that is not a URL, or is relative with no page to resolve it against", async () => {
  await loadFails("http://[::1", /^authwasm: wasmUrl "http:\/\/\[::1" is not an absolute URL/);
  await loadFails("./authwasm.wasm", /^authwasm: wasmUrl "\.\/authwasm\.wasm" is not an absolute URL \(outside a page there is no base URL\)$/);
});

test("a file that is not this module's wasm fails to load, typed", async () => {
  const url = `${wasmServer.url}/authwasm-verify.wasm`;
  // The verifier's module links no Embind: either its imports or the glue's start-up refuses it.
  await loadFails(url, /^authwasm: could not load /);
});

test("a failed load can be retried with the same loader", async () => {
  const load = freshLoader();
  await assert.rejects(load({ wasmUrl: `${wasmServer.url}/missing.wasm` }), { code: "wasm_load_failed" });
  assert.equal(typeof (await load({ wasmUrl: `${wasmServer.url}/authwasm.wasm` })).call, "function");
});

test("only Vite's dev-server deps cache is mapped back to the package's own file", () => {
  const mapped = (url) => outsideViteDepsCache(new URL(url)).href;
  assert.equal(mapped("http://localhost:5173/node_modules/.vite/dist/authwasm.wasm"),
    "http://localhost:5173/node_modules/authwasm/dist/authwasm.wasm");
  assert.equal(mapped("http://localhost:5173/base/node_modules/.vite/dist/authwasm-verify.wasm"),
    "http://localhost:5173/base/node_modules/authwasm/dist/authwasm-verify.wasm");
  for (const untouched of [
    "http://localhost:5173/node_modules/authwasm/dist/authwasm.wasm",
    "https://cdn.example/npm/authwasm@0.1.0/dist/authwasm.wasm",
    "https://app.example/assets/authwasm-D4x9.wasm",
    "https://app.example/node_modules/.vite/deps/authwasm.js",
    "https://app.example/node_modules/.vite/dist/../../etc/authwasm.wasm",
    "file:///srv/app/node_modules/authwasm/dist/authwasm.wasm",
  ]) assert.equal(mapped(untouched), new URL(untouched).href);
});
