// One memoised init() (sql.js initSqlJs style). The wasm is located with
// new URL(..., import.meta.url), which browsers, Vite and other bundlers resolve; in Node the
// file is read from disk, since fetch() cannot load file: URLs there.
import createAuthwasmModule from "../dist/authwasm.js";
import { AuthError } from "./errors.js";

let loading;

/**
 * @param {{ wasmUrl?: string | URL, wasmBinary?: ArrayBuffer | Uint8Array,
 *           wasmModule?: WebAssembly.Module }} [options] only for unusual hosting.
 */
export function init(options = {}) {
  loading ??= instantiate(options).catch((error) => {
    loading = undefined; // a failed load may be retried (e.g. after a network error)
    throw error instanceof AuthError
      ? error
      : new AuthError("wasm_load_failed", `authwasm: could not load its wasm module: ${error?.message ?? error}`, { cause: error });
  });
  return loading;
}

function instantiate(options) {
  return new Promise((resolve, reject) => {
    createAuthwasmModule({
      instantiateWasm(imports, receiveInstance) {
        compile(options)
          .then((module) => WebAssembly.instantiate(module, imports))
          .then((instance) => receiveInstance(instance), reject);
        return {}; // exports arrive asynchronously through receiveInstance
      },
      onAbort(what) {
        reject(new AuthError("wasm_abort", `authwasm: the wasm module aborted: ${what}`));
      },
    }).then(resolve, reject);
  });
}

async function compile({ wasmUrl, wasmBinary, wasmModule }) {
  if (wasmModule) return wasmModule;
  if (wasmBinary) return WebAssembly.compile(wasmBinary);
  const url = new URL(wasmUrl ?? new URL("../dist/authwasm.wasm", import.meta.url), import.meta.url);
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
