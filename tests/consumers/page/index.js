// The zero-configuration page: authwasm finds its own wasm.
import { report, runFlow } from "./flow.js";

report(runFlow());
