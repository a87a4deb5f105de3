// Client figures (issue 3 "Figures"), printed side by side in one run and never asserted:
//  1. PKCE pairs per second from JS: authwasm's createPkcePair() vs oauth4webapi's WebCrypto
//     path (generateRandomCodeVerifier + calculatePKCECodeChallenge) vs node:crypto;
//  2. module init (compile + instantiate + glue) in Node and in headless Chromium;
//  3. auth.fetch overhead against a raw fetch on loopback (a tiny node:http API in a process
//     of its own), in Node and in headless Chromium (page, package and API on one origin;
//     default client options), wall time and CPU time of the calling process, with a control
//     (the raw fetch after one await) that shows how much one more event-loop turn alone moves
//     a loopback call; and authwasm's own work per call, with an injected fetch that answers
//     at once (no network noise to subtract);
//  4. refresh requests counted at the reference server for 1, 10 and 50 concurrent
//     auth.fetch calls with an expired token: expired locally (monotonic clock moved past
//     expires_in) and expired by the server (POST /demo/expire-token → 401 invalid_token);
//  5. the 401 burst (10 and 50 calls, token expired at the server) against the reference
//     server and a plain node:http cookie server side by side: time until all answered,
//     refresh requests, calls slowed by a SYN retransmission (issue 13).
// A section that cannot run prints "not measured: <reason>" and the others go on.
//
// Figures (3 and 5), 2026-12-06, Node 20.20.2, Chromium 156.0.8078.129, 2-core build machine:
//  3. Quiet machine (load 0.8-0.9), API in its own process, measured by a standalone script of
//     this section's shape (4 runs of 30 alternating blocks of 200 calls; its control also
//     spelled the header as auth.fetch does): auth.fetch over a raw fetch +6.6, +26.6, +13.3, -7.3 µs (median block; raw
//     ~160-195 µs), while the raw fetch after one await was +3.5, +31.3, +19.6, -3.3 µs over
//     the raw fetch: the loopback difference is the extra event-loop turn, not authwasm's
//     work. A CPU profile of 5,000 auth.fetch calls puts 81 samples (~3 % of the client's
//     CPU, the wasm and js/ together) in authwasm. Its own work per call (instant fetch):
//     Node 3.2-10.7 µs, Chromium 2.0-13.3 µs wall (3-15 µs CPU), under 0.5 % of a loopback
//     call in both. The API shared the client's process before: on a loaded machine (load
//     6-10) Node then showed +32 to +55 µs, Chromium -120 to +842 µs, noise-bound.
//  5. median of 3 bursts, reference server vs plain Node server: 10 calls 42-184 ms vs
//     19-40 ms, 50 calls 138-338 ms vs 66-146 ms; 1 refresh and no call >= 900 ms in every
//     burst. Part of the gap: the reference server announces Keep-Alive timeout=1, which Node's
//     fetch will not reuse, so each of a burst's requests opens a connection there.
// Usage: node bench/client.mjs [--seconds 2] [--init-runs 20] [--fetch-calls 2000]
//          [--burst-runs 3] [--only 3,5]
import { spawn } from "node:child_process";
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
const BURST_RUNS = arg("burst-runs", 3);
const WASM = join(root, "dist/authwasm.wasm");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (label, value) => console.log(`  ${label.padEnd(52)} ${value}`);
const notMeasured = (label, reason) => row(label, `not measured: ${reason}`);

const ONLY = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set(process.argv[i + 1].split(",").map(Number)) : null;
})();

async function section(title, fn) {
  if (ONLY && !ONLY.has(Number.parseInt(title, 10))) return;
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

// { launchChromium, startStaticServer }, or why Chromium cannot run here.
async function chromiumOrReason() {
  try {
    const { launchChromium } = await import("../tests/support/chromium.js");
    const { startStaticServer } = await import("../tests/support/static-server.js");
    if (!existsSync(process.env.AUTHWASM_CHROMIUM ?? "/usr/bin/chromium")) {
      return "no /usr/bin/chromium (apt-get install chromium)";
    }
    return { launchChromium, startStaticServer };
  } catch (error) {
    return `playwright-core unavailable (${error.message})`;
  }
}

// A persistent context has no Browser object to ask; the DevTools protocol knows.
async function chromiumVersion(browser, page) {
  const cdp = await browser.context.newCDPSession(page);
  const { product } = await cdp.send("Browser.getVersion");
  await cdp.detach();
  return product;
}

async function initChromium() {
  if (!existsSync(WASM)) return notMeasured("Chromium init", "dist/authwasm.wasm missing");
  const chromium = await chromiumOrReason();
  if (typeof chromium === "string") return notMeasured("Chromium init", chromium);
  const server = await chromium.startStaticServer(root);
  const browser = await chromium.launchChromium();
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
    row(`Chromium ${await chromiumVersion(browser, page)}`, "");
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

// The API both runtimes call: POST /auth/login hands out one fixed Bearer token; GET /api
// answers a small JSON body to it (401 invalid_token otherwise). Answers true when it took
// the request (so a static server can serve the page's files beside it, same origin).
const TOKEN = "bench-access-token";
function benchApi(req, res) {
  if (req.method === "POST" && req.url === "/auth/login") {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
      .end(JSON.stringify({ access_token: TOKEN, token_type: "Bearer", expires_in: 3600 })));
    return true;
  }
  if (req.url !== "/api") return false;
  if (req.headers.authorization === `Bearer ${TOKEN}`) {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  } else {
    res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
  }
  return true;
}

// The ways of calling the API — a raw fetch (`fetchImpl`) with the Bearer header written by
// hand; the same after one await (the control: auth.fetch awaits its token before it calls
// fetch, and on loopback one more turn of the event loop before a fetch moves its wall and
// CPU time by tens of µs either way, with no work of authwasm's in it); and auth.fetch — each
// reading the body; answers runBlock(kind, n): µs/call over n calls of one kind.
// Self-contained: the Chromium measurement runs its source in the page.
function callBlocks(auth, url, token, fetchImpl = fetch) {
  const raw = async () => {
    const res = await fetchImpl(url, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`raw fetch ${res.status}`);
    await res.arrayBuffer();
  };
  const calls = {
    raw,
    deferred: async () => {
      await null;
      await raw();
    },
    wrapped: async () => {
      const res = await auth.fetch(url);
      if (res.status !== 200) throw new Error(`auth.fetch ${res.status}`);
      await res.arrayBuffer();
    },
  };
  return async (kind, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; ++i) await calls[kind]();
    return ((performance.now() - t0) * 1000) / n;
  };
}

// A warm-up, then alternating blocks of raw and wrapped calls, so drift (GC, CPU frequency,
// neighbours) hits both alike. Per block: wall µs/call, and CPU µs/call of the process that
// runs the calls (`cpuMicros`: cumulative CPU µs), which a loaded machine inflates less; CPU
// is averaged over all blocks, as Chromium counts it in 10 ms ticks.
const KINDS = ["raw", "deferred", "wrapped"];
async function alternate(runBlock, cpuMicros, calls = FETCH_CALLS, block = 100) {
  for (let i = 0; i < 3; ++i) for (const kind of KINDS) await runBlock(kind, block);
  const wall = { raw: [], deferred: [], wrapped: [] };
  const cpu = { raw: [], deferred: [], wrapped: [] };
  for (let done = 0; done < calls; done += block) {
    for (const kind of KINDS) {
      const c0 = await cpuMicros();
      wall[kind].push(await runBlock(kind, block));
      cpu[kind].push(((await cpuMicros()) - c0) / block);
    }
  }
  return { wall, cpu, calls };
}

// A fetch that answers at once, without the network: auth.fetch over it against the same
// fetch called by hand isolates what authwasm itself adds to a call. Self-contained (pages).
function instantFetch(token) {
  return async (input) => {
    const url = String(input?.url ?? input);
    const body = url.endsWith("/auth/login")
      ? JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }) : '{"ok":true}';
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  };
}
const INSTANT_CALLS = () => FETCH_CALLS * 10;

// `over`: the network measurement, when these are instant-fetch blocks: their overhead is then
// also given as a share of a real loopback call.
function overheadRows(where, { wall, cpu, calls }, over) {
  const spread = (xs) => `blocks ${fmt(Math.min(...xs), 1)}–${fmt(Math.max(...xs), 1)}`;
  const labels = { raw: "raw fetch (Bearer header by hand)", deferred: "raw fetch after one await", wrapped: "auth.fetch" };
  for (const kind of KINDS) {
    row(`${where}: ${labels[kind]}, ${calls} calls`,
        `${fmt(median(wall[kind]), 1)} µs/call (${spread(wall[kind])}); CPU ${fmt(mean(cpu[kind]), 1)} µs/call`);
  }
  const [share, cpuShare] = over ? [median(over.wall.raw), mean(over.cpu.raw)] : [median(wall.raw), mean(cpu.raw)];
  for (const base of ["raw", "deferred"]) {
    const [r, w] = [median(wall[base]), median(wall.wrapped)];
    const [cr, cw] = [mean(cpu[base]), mean(cpu.wrapped)];
    row(`${where}: auth.fetch over ${labels[base].replace(" (Bearer header by hand)", "")}`,
        `${fmt(w - r, 1)} µs/call (${fmt(((w - r) / share) * 100, 1)} %); CPU ${fmt(cw - cr, 1)} µs/call (${fmt(((cw - cr) / cpuShare) * 100, 1)} %)` +
        (over ? " of a loopback raw fetch" : ""));
  }
}

// The API runs in a process of its own, as a real API does: this process's CPU time is then
// the client's alone, and the API's event loop does not share turns with the calls'.
async function startApiProcess() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve-api"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolvePort, reject) => {
    child.stdout.once("data", (d) => resolvePort(Number(String(d).trim())));
    child.once("exit", (code) => reject(new Error(`API process exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

async function fetchOverheadNode() {
  if (!existsSync(WASM)) return notMeasured("auth.fetch overhead", "dist/authwasm.wasm missing");
  const { createAuthClient } = await import("authwasm");
  const api = await startApiProcess();
  try {
    const issuer = api.url;
    const auth = await createAuthClient({ issuer, clientId: "bench", fetch: globalThis.fetch, channel: null, locks: null,
                                          navigate: () => {} });
    await auth.loginWithPassword("bench", "bench");
    const runBlock = callBlocks(auth, `${issuer}/api`, TOKEN);
    const cpuMicros = () => {
      const { user, system } = process.cpuUsage(); // the client's process (the API has its own)
      return user + system;
    };
    const network = await alternate(runBlock, cpuMicros);
    overheadRows("Node", network);
    const instant = instantFetch(TOKEN);
    const alone = await createAuthClient({ issuer, clientId: "bench", fetch: instant, channel: null, locks: null,
                                           navigate: () => {} });
    await alone.loginWithPassword("bench", "bench");
    overheadRows("Node, instant fetch", await alternate(callBlocks(alone, `${issuer}/api`, TOKEN, instant), cpuMicros,
                                                        INSTANT_CALLS(), 1000), network);
  } finally {
    api.close();
  }
}

// The same in headless Chromium: the page, its package files and the API share one loopback
// origin (no CORS); the client has default options except navigate (nothing to navigate to).
// The page's clock is coarsened (100 µs without cross-origin isolation): blocks of 100 calls.
async function fetchOverheadChromium() {
  if (!existsSync(WASM)) return notMeasured("Chromium auth.fetch overhead", "dist/authwasm.wasm missing");
  const chromium = await chromiumOrReason();
  if (typeof chromium === "string") return notMeasured("Chromium auth.fetch overhead", chromium);
  const server = await chromium.startStaticServer(root, { handle: benchApi });
  const browser = await chromium.launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/package.json`);
    row(`Chromium ${await chromiumVersion(browser, page)}`, "");
    await page.evaluate(async ([blocksSource, instantSource, token]) => {
      const callBlocks = (0, eval)(`(${blocksSource})`);
      const instant = (0, eval)(`(${instantSource})`)(token);
      const { createAuthClient } = await import("/js/index.js");
      const url = `${location.origin}/api`;
      const auth = await createAuthClient({ issuer: location.origin, clientId: "bench", navigate: () => {} });
      await auth.loginWithPassword("bench", "bench");
      const alone = await createAuthClient({ issuer: location.origin, clientId: "bench", fetch: instant,
                                             channel: null, navigate: () => {} });
      await alone.loginWithPassword("bench", "bench");
      globalThis.runBlocks = { network: callBlocks(auth, url, token), instant: callBlocks(alone, url, token, instant) };
    }, [callBlocks.toString(), instantFetch.toString(), TOKEN]);
    // The renderer's CPU time (DevTools Performance metrics; its network service and browser
    // processes do the same work for both kinds of call).
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const cpuMicros = async () =>
      (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "ProcessTime").value * 1e6;
    const inPage = (which) => (kind, n) => page.evaluate(([w, k, count]) => globalThis.runBlocks[w](k, count), [which, kind, n]);
    const network = await alternate(inPage("network"), cpuMicros);
    overheadRows("Chromium", network);
    overheadRows("Chromium, instant fetch", await alternate(inPage("instant"), cpuMicros, INSTANT_CALLS(), 1000), network);
  } finally {
    await browser.close();
    await server.close();
  }
}

// ---------------------------------------------------------------- 4. refresh single flight
// One burst: n concurrent auth.fetch calls by one client whose token has expired, locally
// (the injected monotonic clock moved past expires_in) or at the server (POST
// /demo/expire-token → 401 invalid_token). Answers the refresh requests the server counted,
// the ones the client sent, the 200s, the time until all n answered, and the calls that took
// ≥ STALL_MS: the signature of a dropped SYN waiting for its 1 s retransmission (the old stall:
// a listen backlog of 5).
const STALL_MS = 900;
async function burst(target, n, how) {
  const { createAuthClient } = await import("authwasm");
  const { browserFetch } = await import("../tests/support/browser-fetch.js");
  const user = await target.newUser();
  const browser = browserFetch({ origin: target.url });
  const clock = { mono: 1_000_000 };
  const auth = await createAuthClient({
    issuer: target.url, clientId: "authwasm-demo", redirectUri: `${target.url}/callback`,
    fetch: browser.fetch, monotonicNow: () => clock.mono, navigate: () => {}, channel: null, locks: null,
  });
  await auth.loginWithPassword(user.username, user.password);
  if (how === "local") {
    clock.mono += 61_000; // past expires_in (60 s): the client knows before sending anything
  } else {
    const token = await auth.getAccessToken();
    const res = await fetch(`${target.url}/demo/expire-token`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 204) throw new Error(`expire-token answered ${res.status}`);
  }
  const before = await target.refreshCount();
  const clientBefore = browser.count("/auth/refresh");
  const t0 = performance.now();
  const calls = await Promise.all(Array.from({ length: n }, async () => {
    const response = await auth.fetch(`${target.url}/api/posts`);
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - t0 };
  }));
  const ms = performance.now() - t0;
  return {
    atServer: (await target.refreshCount()) - before,
    sent: browser.count("/auth/refresh") - clientBefore,
    ok: calls.filter((c) => c.status === 200).length,
    slow: calls.filter((c) => c.ms >= STALL_MS).length,
    ms,
  };
}

async function referenceTarget() {
  const { SERVER_BIN, register, startServer } = await import("../tests/server/server-process.js");
  if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} missing (npm run build)`);
  const server = await startServer({ args: ["--debug-stats", "--demo", "--access-ttl", "60", "--grace", "0"] });
  return {
    name: "reference server", url: server.url,
    newUser: () => register(server),
    refreshCount: async () => (await (await fetch(`${server.url}/debug/stats`)).json()).refresh_requests,
    stop: () => server.stop(),
  };
}

async function plainNodeTarget() {
  const { startCookieServer } = await import("../tests/support/cookie-server.js");
  const server = await startCookieServer({ accessTtl: 60 });
  return {
    name: "plain Node server", url: server.url,
    newUser: async () => ({ username: "bench", password: "bench" }),
    refreshCount: async () => server.stats.refresh_requests,
    stop: () => server.stop(),
  };
}

async function refreshCounts() {
  if (!existsSync(WASM)) return notMeasured("refresh counts", "dist/authwasm.wasm missing");
  const reference = await referenceTarget();
  try {
    for (const how of ["local", "server"]) {
      for (const n of [1, 10, 50]) {
        const b = await burst(reference, n, how);
        row(`${String(n).padStart(2)} concurrent, expired ${how === "local" ? "locally (clock)" : "at the server (401)"}`,
            `${b.atServer} refresh request${b.atServer === 1 ? "" : "s"} at the server (${b.sent} sent), ` +
            `${b.ok}/${n} answered 200, ${fmt(b.ms, 1)} ms`);
      }
    }
  } finally {
    await reference.stop();
  }
}

// The same 401 burst against the reference server and a plain node:http cookie server
// (tests/support/cookie-server.js), BURST_RUNS times each, alternating: what the client's
// single flight costs with a server that does nothing but the contract, beside the real one.
async function burstSideBySide() {
  if (!existsSync(WASM)) return notMeasured("401 burst", "dist/authwasm.wasm missing");
  const targets = [await referenceTarget(), await plainNodeTarget()];
  try {
    const cell = (runs, n) => {
      const times = runs.map((r) => r.ms);
      const refreshes = [...new Set(runs.map((r) => r.atServer))].join("/");
      const ok = runs.every((r) => r.ok === n);
      return `${fmt(median(times), 1)} ms (${fmt(Math.min(...times), 1)}–${fmt(Math.max(...times), 1)}), ` +
        `${refreshes} refresh, ${runs.reduce((a, r) => a + r.slow, 0)} slow${ok ? "" : ", NOT ALL 200"}`;
    };
    console.log(`  ${"".padEnd(14)} ${targets.map((t) => t.name.padEnd(44)).join(" ")}`);
    for (const n of [10, 50]) {
      const runs = targets.map(() => []);
      for (let i = 0; i < BURST_RUNS; ++i) {
        for (const [k, target] of targets.entries()) runs[k].push(await burst(target, n, "server"));
      }
      console.log(`  ${`${n} concurrent`.padEnd(14)} ${runs.map((r) => cell(r, n).padEnd(44)).join(" ")}`);
    }
    console.log(`  (median of ${BURST_RUNS} bursts (min–max) until all answered; refresh requests counted at the server;`);
    console.log(`   slow: calls that took ≥ ${STALL_MS} ms, summed over the bursts — a dropped SYN waits 1 s)`);
  } finally {
    for (const target of targets) await target.stop();
  }
}

if (process.argv.includes("--serve-api")) {
  // The child of startApiProcess(): the bench API alone, its port on stdout.
  const server = await listen((req, res) => {
    if (!benchApi(req, res)) res.writeHead(404).end();
  });
  console.log(server.address().port);
} else {
  console.log(`authwasm client figures — Node ${process.version}, ${new Date().toISOString()}`);
  await section("1. PKCE pairs per second from JS (64-character verifier + S256 challenge)", pkce);
  await section("2. Module init (compile + instantiate)", async () => {
    await initNode();
    await initChromium();
  });
  await section("3. auth.fetch overhead against a raw fetch (loopback node:http, keep-alive)", async () => {
    await fetchOverheadNode();
    await fetchOverheadChromium();
  });
  await section("4. Refresh requests for concurrent auth.fetch with an expired token (goal: 1)", refreshCounts);
  await section("5. 401 burst (token expired at the server): reference server vs a plain Node cookie server", burstSideBySide);
}
