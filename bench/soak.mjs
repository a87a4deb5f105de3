// The soak (`npm run soak`): Chromium tabs of one profile on tests/faults/page, served by the
// reference server through the fault proxy, for SOAK_SECONDS. Access tokens of a few seconds;
// random API bursts, reloads, tab closes and opens, visibility changes; faults on
// /auth/refresh switched on and off at random (black hole, slow, reset, stalled body, lost
// response, 503 and 429 bursts) and the server crashed and restarted on the same data.
// Default client options (deadline, leeway) unless SOAK_TIMEOUT sets timeoutSeconds.
//
// Prints refreshes per expiry cycle, reuse detections, false logouts, the longest wait of any
// call, each tab's wasm memory at start and end. Exits 1 when a target is missed:
// 0 false logouts, 0 reuse detections, no call past its deadline (+ slack), memory not growing.
//   SOAK_SECONDS (600)  SOAK_TABS (8)  SOAK_ACCESS_TTL (3)  SOAK_TIMEOUT (client default: 10)
//   SOAK_SEED (random)
import { startBrowserStack } from "../tests/faults/browser-stack.js";
import { SLACK_MS, sleep } from "../tests/faults/support.js";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const TABS = Number(process.env.SOAK_TABS ?? 8);
const ACCESS_TTL = Number(process.env.SOAK_ACCESS_TTL ?? 3);
const TIMEOUT_S = process.env.SOAK_TIMEOUT ? Number(process.env.SOAK_TIMEOUT) : 10; // 10: the client's default
const QUERY = process.env.SOAK_TIMEOUT ? `?timeout=${TIMEOUT_S}` : "";
const REFRESH = "/auth/refresh";

// A small seeded PRNG (mulberry32), so a failing run can be repeated with SOAK_SEED.
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = seed;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo, hi) => lo + random() * (hi - lo);
const pick = (list) => list[Math.floor(random() * list.length)];

const FAULTS = [
  () => ({ kind: "blackhole" }),
  () => ({ kind: "slow", delayMs: TIMEOUT_S * 1000 + 1000 }),
  () => ({ kind: "reset", afterBytes: 20 }),
  () => ({ kind: "stall", afterBytes: 20 }),
  () => ({ kind: "lost", deliver: "reset" }),
  () => ({ kind: "lost", deliver: "hold" }),
  () => ({ kind: "status", status: 503, times: Math.ceil(between(1, 5)) }),
  () => ({ kind: "status", status: 429, retryAfter: 2, times: Math.ceil(between(1, 5)) }),
  () => ({ kind: "restart" }),
];

const stack = await startBrowserStack({ accessTtl: ACCESS_TTL });
const totals = { refresh_requests: 0, refresh_rotated: 0, refresh_grace: 0, refresh_reuse: 0, refresh_rejected: 0 };
const addStats = (stats) => { for (const k of Object.keys(totals)) totals[k] += stats[k]; };
const record = { calls: [], logouts: [], lostSessions: [], badResults: [], pageLoads: 0, pageErrors: [],
                 faults: {}, episodes: [], actions: { burst: 0, reload: 0, reopen: 0, visibility: 0 } };
const heaps = new Map(); // tab id → { start, end }
let nextId = 0;
let loggedIn = false; // before the login, a tab that loads signed out is right
let running = true;
const pending = new Set();
const track = (promise) => {
  const p = promise.catch(() => {}).finally(() => pending.delete(p));
  pending.add(p);
};

function collect(tab, harvest) {
  record.calls.push(...harvest.calls);
  for (const e of harvest.events) {
    if (e.event === "logout") record.logouts.push({ tab: tab.id, ...e });
  }
  for (const c of harvest.calls) {
    if (c.result === "not_authenticated" || c.result === "invalid_grant") record.badResults.push({ tab: tab.id, ...c });
  }
}

async function harvest(tab) {
  if (tab.page.isClosed()) return;
  try {
    collect(tab, await tab.page.evaluate(() => window.harvest()));
  } catch {
    // the page is navigating or closing
  }
}

/** After a page load: signed in, or a restore that failed for a transient reason (retried later). */
async function checkLoaded(tab) {
  record.pageLoads++;
  const { user, events } = await tab.page.evaluate(() => ({ user: window.auth.user?.sub ?? null, events: window.events }));
  const failed = events.find((e) => e.event === "restore-failed");
  if (loggedIn && user === null && (!failed || failed.error === "invalid_grant")) record.lostSessions.push({ tab: tab.id, at: Date.now() });
  heaps.set(tab.id, { start: await tab.page.evaluate(() => window.heapBytes()), end: null });
}

// A page load while the server is down (the restart fault) fails as it would for a user, who
// tries again: up to 10 times, a second apart (counted in pageLoadRetries).
/** A page load as a user retries it while a fault has the server down: up to 10 times, 1 s apart. */
async function retryLoad(load) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (error) {
      if (attempt >= 10) throw error;
      record.pageLoadRetries = (record.pageLoadRetries ?? 0) + 1;
      await sleep(1000);
    }
  }
}

async function openTab() {
  return retryLoad(async () => {
    const tab = await stack.openTab(QUERY);
    tab.id = nextId++;
    await checkLoaded(tab);
    return tab;
  });
}

async function reloadTab(tab) {
  await retryLoad(async () => {
    await tab.page.reload();
    await tab.page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
    await checkLoaded(tab);
  });
}

// ------------------------------------------------------------------ the run
for (let i = 0; i < TABS; i++) await openTab();
await stack.tabs[0].page.evaluate(() => window.auth.loginWithPassword("demo", "demo-password"));
await Promise.all(stack.tabs.map((t) => t.page.waitForFunction(() => window.auth.user !== null, null, { timeout: 10_000 })));
loggedIn = true;
const soakStart = Date.now();
const soakEnd = soakStart + SECONDS * 1000;

async function faultLoop() {
  while (Date.now() < soakEnd - 15_000) {
    await sleep(between(3000, 8000));
    const spec = pick(FAULTS)();
    const name = spec.kind === "status" ? `status ${spec.status}` : spec.kind === "lost" ? `lost/${spec.deliver}` : spec.kind;
    record.faults[name] = (record.faults[name] ?? 0) + 1;
    record.episodes.push(`${Date.now() - soakStart} ${name}`);
    if (spec.kind === "restart") {
      addStats(await stack.stats());
      await stack.crash();
      await sleep(between(500, 3000));
      await stack.start();
    } else {
      stack.proxy.fault(REFRESH, spec);
      await sleep(between(1000, 4000));
      stack.proxy.clear(REFRESH, { keepHeld: true }); // what was swallowed stays swallowed
    }
  }
}

async function actionLoop() {
  while (Date.now() < soakEnd - 5000) {
    await sleep(between(100, 500));
    const live = stack.live();
    const tab = pick(live);
    const roll = random();
    if (roll < 0.75) {
      record.actions.burst++;
      const n = Math.ceil(between(0, 4));
      for (let i = 0; i < n; i++) track(tab.page.evaluate(() => window.apiCall({ restoreFirst: true })));
    } else if (roll < 0.88) {
      record.actions.visibility++;
      track(tab.page.evaluate((hidden) => window.setHidden(hidden), random() < 0.5));
    } else if (roll < 0.95) {
      record.actions.reload++;
      await harvest(tab);
      heaps.delete(tab.id);
      try {
        await reloadTab(tab);
      } catch (error) {
        record.pageErrors.push(`reload of tab ${tab.id}: ${error.message}`);
      }
    } else if (live.length > 1) {
      record.actions.reopen++;
      await harvest(tab);
      heaps.delete(tab.id);
      await tab.page.close();
      await openTab();
    }
  }
}

await Promise.all([faultLoop(), actionLoop()]);
stack.proxy.clear();
await Promise.all(pending);

// Healthy again: every tab must work without a login. A tab whose reload never loaded while
// the faults ran (counted in pageErrors) is reloaded now, as its user would.
await sleep(2000);
for (const tab of stack.live()) {
  if (!(await tab.page.evaluate(() => typeof window.apiCall === "function").catch(() => false))) await reloadTab(tab);
}
const final = await Promise.all(stack.live().map((t) => t.page.evaluate(() => window.apiCall({ restoreFirst: true }))));
for (const tab of stack.live()) {
  await harvest(tab);
  heaps.get(tab.id).end = await tab.page.evaluate(() => window.heapBytes());
  record.pageErrors.push(...tab.errors.filter((e) => e.startsWith("pageerror")).map((e) => `tab ${tab.id}: ${e}`));
}
addStats(await stack.stats());
await stack.stop();

// ------------------------------------------------------------------ figures
const seconds = (Date.now() - soakStart) / 1000;
const cycles = seconds / (ACCESS_TTL / 2); // a token is due for refresh after half its life
const longest = record.calls.reduce((m, c) => (c.ms > m.ms ? c : m), { ms: 0 });
const deadlineMs = TIMEOUT_S * 1000;
const lateCalls = record.calls.filter((c) => c.ms > deadlineMs + SLACK_MS);
const falseLogouts = record.logouts.length + record.lostSessions.length + record.badResults.length +
                     final.filter((c) => c.result !== 200).length;
// Bytes of the wasm heap in use (emmalloc): a tab that logged in holds tokens, claims and the
// peers it heard of, a few KB; a leak grows with the calls made. 64 KiB is the line.
const HEAP_SLACK_BYTES = 64 * 1024;
const grown = [...heaps].filter(([, h]) => h.end !== null && h.end > h.start + HEAP_SLACK_BYTES);

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
console.log(`soak: ${seconds.toFixed(0)} s, ${TABS} tabs, ${ACCESS_TTL} s access tokens, deadline ${TIMEOUT_S} s` +
            `${QUERY ? "" : " (default)"}, seed ${seed}`);
console.log(`  actions: ${JSON.stringify(record.actions)}; page loads ${record.pageLoads} ` +
            `(retried while the server was down: ${record.pageLoadRetries ?? 0}); faults ${JSON.stringify(record.faults)}`);
const results = {};
for (const c of record.calls) results[c.result] = (results[c.result] ?? 0) + 1;
console.log(`  calls: ${record.calls.length}; results ${JSON.stringify(results)}`);
console.log(`  refresh requests at the server: ${totals.refresh_requests} (rotated ${totals.refresh_rotated}, ` +
            `grace ${totals.refresh_grace}, rejected ${totals.refresh_rejected}); page loads ${record.pageLoads}`);
console.log(`  refreshes per expiry cycle: ${((totals.refresh_requests - record.pageLoads) / cycles).toFixed(2)} ` +
            `(${cycles.toFixed(0)} cycles of ${ACCESS_TTL / 2} s; page-load restores not counted)`);
console.log(`  reuse detections: ${totals.refresh_reuse}`);
console.log(`  false logouts: ${falseLogouts} (logout events ${record.logouts.length}, sessions lost on load ` +
            `${record.lostSessions.length}, calls refused for no session ${record.badResults.length}, ` +
            `final calls failed ${final.filter((c) => c.result !== 200).length})`);
console.log(`  longest wait of any call: ${Math.round(longest.ms)} ms (${longest.result}); ` +
            `calls past deadline + ${SLACK_MS} ms: ${lateCalls.length}`);
for (const [id, h] of heaps) console.log(`  tab ${id}: wasm heap in use ${kb(h.start)} → ${kb(h.end)}`);
if (record.pageErrors.length) console.log(`  page errors: ${record.pageErrors.join("; ")}`);

// When something went wrong: the refresh requests around the first refused one, as the proxy saw them.
const refreshLog = stack.proxy.log.filter((e) => e.path === REFRESH && e.at >= soakStart);
const firstRefused = refreshLog.findIndex((e) => e.status === 401);
if ((totals.refresh_reuse || falseLogouts) && firstRefused >= 0) {
  console.log("  refresh requests before the first refused one (ms since start: arrived → forwarded, fault, status):");
  console.log(`  fault episodes (ms since start): ${record.episodes.join(", ")}`);
  for (const e of refreshLog.slice(Math.max(0, firstRefused - 12), firstRefused + 1)) {
    console.log(`    ${e.at - soakStart} → ${e.forwardedAt ? e.forwardedAt - soakStart : "-"} ${e.fault ?? "healthy"} ${e.status ?? (e.dropped ? "dropped" : "no answer")}`);
  }
}

const missed = [];
if (falseLogouts) missed.push(`${falseLogouts} false logout(s): ${JSON.stringify([...record.logouts, ...record.lostSessions, ...record.badResults].slice(0, 5))}`);
if (totals.refresh_reuse) missed.push(`${totals.refresh_reuse} reuse detection(s)`);
if (lateCalls.length) missed.push(`${lateCalls.length} call(s) past the deadline, longest ${Math.round(longest.ms)} ms`);
if (grown.length) missed.push(`wasm memory grew in ${grown.length} tab(s)`);
console.log(`SOAK-RESULT ${JSON.stringify({ seconds, tabs: TABS, seed, totals, falseLogouts, longestMs: longest.ms,
                                            lateCalls: lateCalls.length, grown: grown.length, missed })}`);
if (missed.length) {
  console.log(`soak: targets missed:\n  - ${missed.join("\n  - ")}`);
  process.exit(1);
}
console.log("soak: every target met");
