// Loading an Emscripten module once (sql.js initSqlJs style), shared by the core module and
// the opt-in verifier. Where the wasm is (docs/toolchains.md):
// - by default, `defaultWasmUrl()`: a literal `new URL("../dist/x.wasm", import.meta.url)` in
//   the caller's file, the one form webpack 5, Vite and browsers all resolve (bundlers emit the
//   file as an asset and rewrite the line). It is only evaluated when it is needed, so a bundle
//   without `import.meta` (esbuild's iife) still loads when `wasmUrl` is given;
// - `wasmUrl` from the app: resolved against the page's base URL, as fetch() would. This file
//   never writes `new URL(<expression>, import.meta.url)`: webpack reads that as an asset
//   reference built from an expression and breaks it ("Critical dependency");
// - in Node the file is read from disk, since fetch() cannot load file: URLs there.
import { AuthError } from "./errors.js";

/**
 * A memoised loader: every call answers the same module; a failed load may be retried.
 * `factory(moduleOptions, reject)` calls the Emscripten factory with moduleOptions and any hook
 * of its own runtime; `reject` fails the load.
 * @param {{ factory: Function, defaultWasmUrl: () => URL, label: string }} module
 */
export function createWasmLoader({ factory, defaultWasmUrl, label }) {
  let loading;
  return (options = {}) => {
    loading ??= instantiate(factory, defaultWasmUrl, label, options).catch((error) => {
      loading = undefined;
      throw error instanceof AuthError
        ? error
        : new AuthError("wasm_load_failed", `${label}: could not load its wasm module: ${error?.message ?? error}`, { cause: error });
    });
    return loading;
  };
}

function instantiate(factory, defaultWasmUrl, label, options) {
  return new Promise((resolve, reject) => {
    factory({
      instantiateWasm(imports, receiveInstance) {
        // receiveInstance runs the glue's start-up, which throws on a wasm of another build:
        // that rejects init() too, rather than being nobody's rejection and leaving it pending.
        loadInstance(defaultWasmUrl, label, options, imports).then((instance) => receiveInstance(instance)).catch(reject);
        return {}; // exports arrive asynchronously through receiveInstance
      },
    }, reject).then(resolve, reject);
  });
}

// A server that accepts and never answers must not leave init() waiting (browsers wait
// minutes, Node 300 s): the download and compile of the .wasm have a deadline of their own.
const DEFAULT_WASM_TIMEOUT_S = 30;

async function loadInstance(defaultWasmUrl, label, { wasmUrl, wasmBinary, wasmModule, timeoutSeconds }, imports) {
  if (wasmModule) return WebAssembly.instantiate(wasmModule, imports);
  if (wasmBinary) return WebAssembly.instantiate(await WebAssembly.compile(wasmBinary), imports);
  const timeoutMs = wasmDeadline(timeoutSeconds, label);
  const url = wasmUrl === undefined ? outsideViteDepsCache(defaultWasmUrl()) : resolveWasmUrl(wasmUrl, label);
  try {
    return await WebAssembly.instantiate(await compileFrom(url, timeoutMs), imports);
  } catch (error) {
    throw new AuthError("wasm_load_failed", `${label}: could not load ${url}: ${error?.message ?? error}${hintFor(url, error)}`, { cause: error });
  }
}

function resolveWasmUrl(wasmUrl, label) {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    return new URL(String(wasmUrl), base);
  } catch (error) {
    const why = base ? "is not a URL" : "is not an absolute URL (outside a page there is no base URL)";
    throw new AuthError("wasm_load_failed", `${label}: wasmUrl ${JSON.stringify(String(wasmUrl))} ${why}`, { cause: error });
  }
}

/**
 * Vite 7's dev server pre-bundles dependencies into <root>/node_modules/.vite/deps/ and serves
 * them from there without the package's other files (vitejs/vite#8427): the literal URL then
 * names /node_modules/.vite/dist/x.wasm, which answers index.html. The package's own copy is
 * served at /node_modules/authwasm/dist/x.wasm. No other server puts a file under
 * /node_modules/.vite/, so no other URL is changed.
 * @param {URL} url
 */
export function outsideViteDepsCache(url) {
  const match = /^(.*\/node_modules\/)\.vite\/(dist\/[\w.-]+\.wasm)$/.exec(url.pathname);
  return match ? new URL(`${match[1]}authwasm/${match[2]}`, url) : url;
}

function wasmDeadline(timeoutSeconds = DEFAULT_WASM_TIMEOUT_S, label) {
  if (typeof timeoutSeconds !== "number" || !(timeoutSeconds > 0) || timeoutSeconds > 600) {
    throw new AuthError("invalid_argument", `${label}: init({ timeoutSeconds }) must be a number, 0 < s <= 600`);
  }
  return Math.ceil(timeoutSeconds * 1000);
}

async function compileFrom(url, timeoutMs) {
  if (url.protocol === "file:") {
    // Hidden from bundlers: this branch only runs in Node (and Deno/Bun).
    const fsModule = "node:fs/promises";
    const { readFile } = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsModule);
    return WebAssembly.compile(await readFile(url));
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`GET answered ${response.status}`);
    const type = response.headers.get("content-type") ?? "";
    if (/^text\/html\b/i.test(type)) throw new Error("GET answered an HTML page, not WebAssembly");
    if (WebAssembly.compileStreaming && /^application\/wasm\b/i.test(type)) {
      return await WebAssembly.compileStreaming(response);
    }
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (error) {
    if (signal.aborted) throw new Error(`GET did not finish within ${timeoutMs} ms`, { cause: error });
    throw error;
  }
}

// What to do about the two failures a working app meets when deployed (README "Your toolchain").
function hintFor(url, error) {
  if (/Content Security Policy|unsafe-eval/i.test(String(error?.message))) {
    return ". The page's Content-Security-Policy must allow WebAssembly: add 'wasm-unsafe-eval' to script-src";
  }
  if (/HTML page|answered 404/.test(String(error?.message))) {
    return url.pathname.includes("/node_modules/")
      ? ". The file is not served there: with Vite's dev server, add optimizeDeps: { exclude: [\"authwasm\"] } to vite.config.js"
      : ". The file is not served there: serve the package's .wasm at that URL or pass init({ wasmUrl }) (docs/toolchains.md)";
  }
  return "";
}
