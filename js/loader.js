// The core module's one memoised init().
import createAuthwasmModule from "../dist/authwasm.js";
import { createWasmLoader } from "./wasm-loader.js";

/**
 * @param {{ wasmUrl?: string | URL, wasmBinary?: ArrayBuffer | Uint8Array,
 *           wasmModule?: WebAssembly.Module }} [options] only for unusual hosting.
 */
export const init = createWasmLoader({
  factory: createAuthwasmModule,
  // A literal, so that bundlers emit the wasm and rewrite this line (js/wasm-loader.js).
  defaultWasmUrl: () => new URL("../dist/authwasm.wasm", import.meta.url),
  label: "authwasm",
});
