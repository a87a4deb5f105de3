// The page and the real reference server on one origin (its refresh cookie is SameSite=Strict,
// Path=/auth), three ways: the server serving a built app itself (--static-dir), the same
// behind a front that adds response headers (a Content-Security-Policy), and a dev server
// that proxies the server's paths.
import { createServer, request } from "node:http";
import { after } from "node:test";
import { startServer } from "../../server/server-process.js";

const closers = [];
after(() => Promise.all(closers.splice(0).map((close) => close())));

// The demo client (authwasm-demo, redirect ISSUER/callback) and the user demo/demo-password.
// No DPoP server nonces: their first answer, a 400 use_dpop_nonce, is logged by Chromium as a
// failed resource, and these pages must log nothing (the nonce path is tests/server/dpop.test.js's).
const demoArgs = (issuer) => ["--demo", "--dpop-nonce", "off", ...(issuer ? ["--issuer", issuer] : [])];

/** The reference server serving `dir` at `/`: resolves to its origin. */
export async function serveBuilt(dir, { issuer } = {}) {
  const server = await startServer({ args: [...demoArgs(issuer), "--static-dir", dir] });
  closers.push(() => server.stop());
  return server.url;
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

/** serveBuilt(dir) behind a front on its own origin that adds `headers` to every response. */
export async function serveBuiltWithHeaders(dir, headers) {
  let upstream;
  const front = createServer((req, res) => {
    const forward = request(new URL(req.url, upstream), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, { ...answer.headers, ...headers });
      answer.pipe(res);
    });
    forward.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(forward);
  });
  const origin = await listen(front);
  closers.push(() => new Promise((resolve) => front.close(resolve)));
  upstream = await serveBuilt(dir, { issuer: origin });
  return origin;
}

async function freePort() {
  const probe = createServer();
  const origin = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return Number(new URL(origin).port);
}

/**
 * Vite's dev server on `root` with no configuration but the proxy to the reference server
 * (whose issuer is the dev server's origin). `vite` is the app's own Vite (its JS API).
 */
export async function serveViteDev(vite, root) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer({ args: demoArgs(origin) });
  closers.push(() => server.stop());
  const proxy = Object.fromEntries(["/auth", "/api", "/.well-known"].map((path) => [path, { target: server.url }]));
  const dev = await vite.createServer({
    root, configFile: false, logLevel: "error", clearScreen: false,
    server: { host: "127.0.0.1", port, strictPort: true, proxy },
  });
  await dev.listen();
  closers.push(() => dev.close());
  return origin;
}
