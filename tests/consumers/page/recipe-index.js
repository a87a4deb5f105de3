// The recipe of docs/toolchains.md for bundlers that do not follow new URL(…, import.meta.url)
// (esbuild, Rollup): import the exported wasm as a file asset and hand its URL to init().
import { init } from "authwasm";
import wasmUrl from "authwasm/authwasm.wasm";
import { report, runFlow } from "./flow.js";

report(init({ wasmUrl }).then(runFlow));
