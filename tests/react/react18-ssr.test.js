// Server-side rendering of authwasm/react with React 18 in Node (tests in ssr-suite.js).
import { register } from "node:module";
import { ensureReact } from "./harness.js";

ensureReact(18);
register("./react18-resolve.js", import.meta.url);
const { defineSsrSuite } = await import("./ssr-suite.js");
defineSsrSuite(18);
