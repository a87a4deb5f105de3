// Vite config for the demo SPA. `authwasm` is imported by its package name: Node's package
// self-reference resolves it through the repository's own package.json "exports" map, exactly
// as it resolves from node_modules in an app that installed the package. No alias, and no
// wasm-specific configuration: the wrapper finds its .wasm with new URL(…, import.meta.url).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// `vite dev` proxies the server's endpoints so the SPA and the server share one origin, as
// they do under `npm start` (the refresh cookie is SameSite=Strict with Path=/auth). Start the
// server with --issuer http://localhost:5173 (README.md, "Developing the demo").
const server = process.env.AUTHWASM_SERVER ?? "http://127.0.0.1:8080";
const proxied = ["/auth", "/api", "/authorize", "/token", "/.well-known", "/demo", "/debug"];

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    host: "localhost",
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: server, changeOrigin: false }])),
  },
});
