// Client figures (issue 3 "Figures"), printed side by side in one run and never asserted:
//  1. PKCE pairs per second from JS: authwasm's createPkcePair() vs oauth4webapi's WebCrypto
//     path (generateRandomCodeVerifier + calculatePKCECodeChallenge) vs node:crypto;
//  2. module init (compile + instantiate + glue) in Node and in headless Chromium;
//  3. auth.fetch overhead against a raw fetch on loopback (a tiny node:http API);
//  4. refresh requests counted at the reference server for 1, 10 and 50 concurrent
//     auth.fetch calls with an expired token: expired locally (monotonic clock moved past
//     expires_in) and expired by the server (POST /demo/expire-token → 401 invalid_token).
// A section that cannot run prints "not measured: <reason>" and the others go on.
// Usage: node bench/client.mjs [--seconds 2] [--init-runs 20] [--fetch-calls 2000]
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("seconds", 2);
const INIT_RUNS = arg("init-runs", 20);
const FETCH_CALLS = arg("fetch-calls", 2000);
const WASM = join(root, "dist/authwasm.wasm");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (label, value) => console.log(`  ${label.padEnd(52)} ${value}`);
const notMeasured = (label, reason) => row(label, `not measured: ${reason}`);

async function section(title, fn) {
  console.log(`\n${title}`);
  try {
    await fn();
  } catch (error) {
    notMeasured("(section)", error?.stack?.split("\n").slice(0, 2).join(" ") ?? String(error));
  }
}

// Runs `once` (async) back to back for `seconds` after a short warm-up; answers ops/s.
async function rate(once, seconds = SECONDS) {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) await once();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 64; ++i) await once();
    n += 64;
  }
  return n / ((performance.now() - start) / 1000);
}

// ---------------------------------------------------------------- 1. PKCE
async function pkce() {
  if (!existsSync(WASM)) return notMeasured("PKCE pairs/s", "dist/authwasm.wasm missing (npm run build)");
  const authwasm = await import("authwasm");
  await authwasm.init();
  const check = await authwasm.createPkcePair();
  if (check.verifier.length !== 64 || check.challenge.length !== 43) throw new Error("authwasm PKCE pair has the wrong shape");

  let oauth;
  try {
    oauth = await import("oauth4webapi");
  } catch {
    oauth = null;
  }
  const results = [];
  results.push(["authwasm createPkcePair() (wasm, SHA-256 in C++)", await rate(() => authwasm.createPkcePair())]);
  if (oauth) {
    results.push(["oauth4webapi (WebCrypto: crypto.subtle.digest)", await rate(async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      await oauth.calculatePKCECodeChallenge(verifier);
    })]);
  }
  results.push(["node:crypto (randomBytes + createHash sha256)", await rate(async () => {
    const verifier = randomBytes(48).toString("base64url"); // 64 characters, as authwasm's
    createHash("sha256").update(verifier).digest("base64url");
  })]);
  for (const [label, perSecond] of results) row(label, `${fmt(perSecond)} pairs/s (${fmt(1e6 / perSecond, 1)} µs/pair)`);
  if (!oauth) notMeasured("oauth4webapi", "package not installed (npm ci)");
}

// ---------------------------------------------------------------- 2. module init
async function initNode() {
  if (!existsSync(WASM)) return notMeasured("Node init", "dist/authwasm.wasm missing (npm run build)");
  const bytes = readFileSync(WASM);
  row("dist/authwasm.wasm", `${fmt(bytes.length)} bytes`);
  const loaderUrl = pathToFileURL(join(root, "js/loader.js")).href;
  // What a page pays: a fresh loader (new query → new module instance, its init() not yet
  // memoised), which reads the file, compiles, instantiates and runs the Embind glue.
  const full = [];
  const inMemory = [];
  const compileOnly = [];
  for (let i = 0; i < INIT_RUNS; ++i) {
    let { init } = await import(`${loaderUrl}?x=${i}`);
    let t0 = performance.now();
    await init();
    full.push(performance.now() - t0);
    ({ init } = await import(`${loaderUrl}?y=${i}`));
    t0 = performance.now();
    await init({ wasmBinary: bytes });
    inMemory.push(performance.now() - t0);
    t0 = performance.now();
    await WebAssembly.compile(bytes);
    compileOnly.push(performance.now() - t0);
  }
  row("Node: init() first (read + compile + instantiate)", `${fmt(full[0], 2)} ms`);
  row(`Node: init() median of ${INIT_RUNS} fresh loaders`, `${fmt(median(full), 2)} ms (min ${fmt(Math.min(...full), 2)})`);
  row("Node: init({ wasmBinary }) median (no file read)", `${fmt(median(inMemory), 2)} ms`);
  row("Node: WebAssembly.compile(bytes) alone, median", `${fmt(median(compileOnly), 2)} ms`);
}

async function initChromium() {
  if (!existsSync(WASM)) return notMeasured("Chromium init", "dist/authwasm.wasm missing");
  let launchChromium, startStaticServer;
  try {
    ({ launchChromium } = await import("../tests/support/chromium.js"));
    ({ startStaticServer } = await import("../tests/support/static-server.js"));
  } catch (error) {
    return notMeasured("Chromium init", `playwright-core unavailable (${error.message})`);
  }
  if (!existsSync(process.env.AUTHWASM_CHROMIUM ?? "/usr/bin/chromium")) {
    return notMeasured("Chromium init", "no /usr/bin/chromium (apt-get install chromium)");
  }
  const server = await startStaticServer(root);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/package.json`); // any document of that origin will do
    // Each run: a fresh loader module, then init(): fetch (no-store) + compileStreaming +
    // instantiate + glue, timed inside the page.
    const times = await page.evaluate(async (runs) => {
      const out = [];
      for (let i = 0; i < runs; ++i) {
        const { init } = await import(`/js/loader.js?x=${i}`);
        const t0 = performance.now();
        await init();
        out.push(performance.now() - t0);
      }
      return out;
    }, INIT_RUNS);
    const [inMemory, compileTimes] = await page.evaluate(async (runs) => {
      const bytes = new Uint8Array(await (await fetch("/dist/authwasm.wasm")).arrayBuffer());
      const init = [];
      const compile = [];
      for (let i = 0; i < runs; ++i) {
        const loader = await import(`/js/loader.js?y=${i}`);
        let t0 = performance.now();
        await loader.init({ wasmBinary: bytes });
        init.push(performance.now() - t0);
        t0 = performance.now();
        await WebAssembly.compile(bytes);
        compile.push(performance.now() - t0);
      }
      return [init, compile];
    }, INIT_RUNS);
    const version = browser.context.browser()?.version() ?? "chromium";
    row(`Chromium ${version}`, "");
    row("Chromium: init() first (fetch + compile + instantiate)", `${fmt(times[0], 2)} ms`);
    row(`Chromium: init() median of ${INIT_RUNS} fresh loaders`, `${fmt(median(times), 2)} ms (min ${fmt(Math.min(...times), 2)})`);
    row("Chromium: init({ wasmBinary }) median (no fetch)", `${fmt(median(inMemory), 2)} ms`);
    row("Chromium: WebAssembly.compile(bytes) alone, median", `${fmt(median(compileTimes), 2)} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
}

// ---------------------------------------------------------------- 3. auth.fetch overhead
function listen(handler) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolveListen) => server.listen(0, "127.0.0.1", () => resolveListen(server)));
}

async function fetchOverhead() {
  if (!existsSync(WASM)) return notMeasured("auth.fetch overhead", "dist/authwasm.wasm missing");
  const { createAuthClient } = await import("authwasm");
  const TOKEN = "bench-access-token";
  const body = JSON.stringify({ ok: true });
  const server = await listen((req, res) => {
    if (req.method === "POST" && req.url === "/auth/login") {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
        .end(JSON.stringify({ access_token: TOKEN, token_type: "Bearer", expires_in: 3600 })));
      return;
    }
    if (req.url === "/api" && req.headers.authorization === `Bearer ${TOKEN}`) {
      return res.writeHead(200, { "content-type": "application/json" }).end(body);
    }
    res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
  });
  try {
    const issuer = `http://127.0.0.1:${server.address().port}`;
    const auth = await createAuthClient({ issuer, clientId: "bench", fetch: globalThis.fetch, channel: null, locks: null,
                                          navigate: () => {} });
    await auth.loginWithPassword("bench", "bench");
    const url = `${issuer}/api`;
    const raw = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (res.status !== 200) throw new Error(`raw fetch ${res.status}`);
      await res.arrayBuffer();
    };
    const wrapped = async () => {
      const res = await auth.fetch(url);
      if (res.status !== 200) throw new Error(`auth.fetch ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 300; ++i) { await raw(); await wrapped(); } // warm both paths
    // Alternating blocks, so drift (GC, CPU frequency, neighbours) hits both alike.
    const block = 100;
    const rawTimes = [];
    const wrappedTimes = [];
    for (let done = 0; done < FETCH_CALLS; done += block) {
      let t0 = performance.now();
      for (let i = 0; i < block; ++i) await raw();
      rawTimes.push(((performance.now() - t0) * 1000) / block);
      t0 = performance.now();
      for (let i = 0; i < block; ++i) await wrapped();
      wrappedTimes.push(((performance.now() - t0) * 1000) / block);
    }
    const r = median(rawTimes);
    const w = median(wrappedTimes);
    row(`raw fetch (Bearer header by hand), ${FETCH_CALLS} calls`, `${fmt(r, 1)} µs/call`);
    row(`auth.fetch, ${FETCH_CALLS} calls`, `${fmt(w, 1)} µs/call`);
    row("overhead of auth.fetch", `${fmt(w - r, 1)} µs/call (${fmt((w / r - 1) * 100, 0)} %)`);
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
}

// ---------------------------------------------------------------- 4. refresh single flight
async function refreshCounts() {
  const { SERVER_BIN, register, startServer } = await import("../tests/server/server-process.js");
  if (!existsSync(SERVER_BIN)) return notMeasured("refresh counts", `${SERVER_BIN} missing (npm run build)`);
  if (!existsSync(WASM)) return notMeasured("refresh counts", "dist/authwasm.wasm missing");
  const { createAuthClient } = await import("authwasm");
  const { browserFetch } = await import("../tests/support/browser-fetch.js");
  const server = await startServer({ args: ["--debug-stats", "--demo", "--access-ttl", "60", "--grace", "0"] });
  const stats = async () => (await fetch(`${server.url}/debug/stats`)).json();
  try {
    const measure = async (n, how) => {
      const user = await register(server);
      const browser = browserFetch({ origin: server.origin });
      const clock = { mono: 1_000_000 };
      const auth = await createAuthClient({
        issuer: server.url, clientId: "authwasm-demo", redirectUri: `${server.url}/callback`,
        fetch: browser.fetch, monotonicNow: () => clock.mono, navigate: () => {}, channel: null, locks: null,
      });
      await auth.loginWithPassword(user.username, user.password);
      if (how === "local") {
        clock.mono += 61_000; // past expires_in (60 s): the client knows before sending anything
      } else {
        const token = await auth.getAccessToken();
        const res = await fetch(`${server.url}/demo/expire-token`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 204) throw new Error(`expire-token answered ${res.status}`);
      }
      const before = (await stats()).refresh_requests;
      const clientBefore = browser.count("/auth/refresh");
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: n }, () => auth.fetch(`${server.url}/api/posts`)));
      const ms = performance.now() - t0;
      const ok = answers.filter((r) => r.status === 200).length;
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      const atServer = (await stats()).refresh_requests - before;
      const sent = browser.count("/auth/refresh") - clientBefore;
      row(`${String(n).padStart(2)} concurrent, expired ${how === "local" ? "locally (clock)" : "at the server (401)"}`,
          `${atServer} refresh request${atServer === 1 ? "" : "s"} at the server (${sent} sent), ${ok}/${n} answered 200, ${fmt(ms, 1)} ms`);
    };
    for (const how of ["local", "server"]) {
      for (const n of [1, 10, 50]) await measure(n, how);
    }
  } finally {
    await server.stop();
  }
}

console.log(`authwasm client figures — Node ${process.version}, ${new Date().toISOString()}`);
await section("1. PKCE pairs per second from JS (64-character verifier + S256 challenge)", pkce);
await section("2. Module init (compile + instantiate)", async () => {
  await initNode();
  await initChromium();
});
await section("3. auth.fetch overhead against a raw fetch (loopback node:http, keep-alive)", fetchOverhead);
await section("4. Refresh requests for concurrent auth.fetch with an expired token (goal: 1)", refreshCounts);
