// Loading an Emscripten module once (sql.js initSqlJs style), shared by the core module and
// the opt-in verifier. The wasm is located with new URL(..., import.meta.url) in the caller's
// file (browsers, Vite and other bundlers resolve that literal); in Node the file is read
// from disk, since fetch() cannot load file: URLs there.
import { AuthError } from "./errors.js";

/**
 * A memoised loader: every call answers the same module; a failed load may be retried.
 * @param {{ factory: Function, wasmUrl: URL, label: string }} module
 */
export function createWasmLoader({ factory, wasmUrl, label }) {
  let loading;
  return (options = {}) => {
    loading ??= instantiate(factory, wasmUrl, label, options).catch((error) => {
      loading = undefined;
      throw error instanceof AuthError
        ? error
        : new AuthError("wasm_load_failed", `${label}: could not load its wasm module: ${error?.message ?? error}`, { cause: error });
    });
    return loading;
  };
}

function instantiate(factory, defaultUrl, label, options) {
  return new Promise((resolve, reject) => {
    factory({
      instantiateWasm(imports, receiveInstance) {
        compile(defaultUrl, options)
          .then((module) => WebAssembly.instantiate(module, imports))
          .then((instance) => receiveInstance(instance), reject);
        return {}; // exports arrive asynchronously through receiveInstance
      },
      onAbort(what) {
        reject(new AuthError("wasm_abort", `${label}: the wasm module aborted: ${what}`));
      },
    }).then(resolve, reject);
  });
}

async function compile(defaultUrl, { wasmUrl, wasmBinary, wasmModule }) {
  if (wasmModule) return wasmModule;
  if (wasmBinary) return WebAssembly.compile(wasmBinary);
  const url = new URL(wasmUrl ?? defaultUrl, import.meta.url);
  if (url.protocol === "file:") {
    // Hidden from bundlers: this branch only runs in Node (and Deno/Bun).
    const fsModule = "node:fs/promises";
    const { readFile } = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsModule);
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  if (WebAssembly.compileStreaming && response.headers.get("content-type") === "application/wasm") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
