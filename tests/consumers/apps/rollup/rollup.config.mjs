import { nodeResolve } from "@rollup/plugin-node-resolve";
import url from "@rollup/plugin-url";

export default {
  input: "src/index.js",
  output: { dir: "dist", format: "es" },
  plugins: [nodeResolve(), url({ include: ["**/*.wasm"], limit: 0 })],
};
