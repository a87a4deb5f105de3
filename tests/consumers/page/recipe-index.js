// The recipe of docs/toolchains.md for bundlers that do not follow new URL(…, import.meta.url)
// (esbuild, Rollup): import the exported wasm as a file asset and hand its URL to init(), and
// the same for authwasm/dpop's build.
import { init } from "authwasm";
import wasmUrl from "authwasm/authwasm.wasm";
import { dpop } from "authwasm/dpop";
import dpopWasmUrl from "authwasm/authwasm-dpop.wasm";
import { report, runFlow } from "./flow.js";

report(Promise.all([init({ wasmUrl }), dpop.init({ wasmUrl: dpopWasmUrl })]).then(runFlow));
