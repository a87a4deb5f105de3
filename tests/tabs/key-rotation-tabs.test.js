// Issue 15: "a key rotation while 8 Chromium tabs stay logged in with 0 false logouts".
// 3 authwasm-server instances on one throwaway PostgreSQL behind a round-robin proxy (the
// deployment of server/README.md), each serving the test page itself; 8 tabs of one Chromium
// profile with the client's DEFAULT options (tests/tabs/page/index.html) keep calling the API
// while `authwasm-server keys rotate` stages a key, it is promoted and the old one retires.
// 3-second access tokens put several refreshes before the promotion, between promotion and
// retirement, and after it; every call must answer 200 and no tab may log out or report an
// error. Server side: --key-reload 1 and the rotation's delays in seconds, nothing else tuned.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { launchBrowser } from "../support/browser.js";
import { startPostgres } from "../support/postgres.js";
import { startRoundRobinProxy } from "../support/round-robin-proxy.js";
import { jwtHeader, keysCommand, newSession, parseRotation, startServer } from "../server/server-process.js";
import { assembleSite, events, login, openTab, unexpectedErrors, waitForUserEverywhere } from "./browser-support.js";
import { sleep, stats } from "./support.js";

const TABS = 8;
const ACCESS_TTL_S = 3;
const PROMOTE_AFTER_S = 3;
const STAGE_AT_MS = 1500;   // after the calls start
const AFTER_RETIRE_MS = 2 * ACCESS_TTL_S * 1000 + 500;  // two more token lifetimes on the new key alone
const CALL_EVERY_MS = 300;  // each tab, with a random offset

describe("chromium: 8 tabs stay logged in across a signing-key rotation (3 instances, PostgreSQL)", () => {
  let pg, proxy, site, browser;
  const servers = [];
  const tabs = [];

  before(async () => {
    pg = await startPostgres();
    proxy = await startRoundRobinProxy();
    site = await assembleSite();
    const args = ["--store", pg.url, "--issuer", proxy.url, "--static-dir", site.dir, "--demo", "--debug-stats",
      "--access-ttl", String(ACCESS_TTL_S), "--key-reload", "1", "--threads", "32", "--store-pool", "8",
      "--max-connections-per-ip", "0"];  // behind a proxy every connection comes from its address
    servers.push(await startServer({ args }));  // the first seeds the store's key
    for (let i = 1; i < 3; i++) servers.push(await startServer({ args }));
    proxy.upstreams.push(...servers.map((s) => s.url));
    browser = await launchBrowser("chromium");
    for (let i = 0; i < TABS; i++) tabs.push(await openTab(browser, { url: proxy.url }));
  });

  after(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await proxy?.close();
    await site?.remove();
    await pg?.stop();
  });

  test("chromium: staged, promoted, retired under load: every call 200, 0 logouts, refreshes on both sides of each point", async () => {
    await login(tabs[0]);
    await waitForUserEverywhere(tabs);
    const kidsAt = async (url) => (await (await fetch(url + "/.well-known/jwks.json")).json()).keys.map((k) => k.kid);
    const [oldKid] = await kidsAt(proxy.url);
    const statsBefore = await Promise.all(servers.map(stats));
    const started = Date.now();

    // Every tab calls the API every ~300 ms until told to stop; each keeps its statuses.
    await Promise.all(tabs.map((t) => t.evaluate((every) => {
      window.rotationCalls = [];
      window.rotationStop = false;
      const loop = async () => {
        while (!window.rotationStop) {
          window.rotationCalls.push({ at: Date.now(), status: await window.apiCall() });
          await new Promise((r) => setTimeout(r, every * (0.5 + Math.random())));
        }
      };
      window.rotationDone = loop();
    }, CALL_EVERY_MS)));

    await sleep(STAGE_AT_MS);
    const r = await keysCommand(["rotate", "--store", pg.url, "--promote-after", String(PROMOTE_AFTER_S),
      "--retire-margin", "0", "--access-ttl", String(ACCESS_TTL_S), "--key-reload", "1"]);
    assert.equal(r.code, 0, r.stderr);
    const staged = parseRotation(r.stdout);
    await sleep(staged.retireAt + AFTER_RETIRE_MS - Date.now());
    await Promise.all(tabs.map((t) => t.evaluate(() => {
      window.rotationStop = true;
      return window.rotationDone;
    })));
    const ended = Date.now();

    const calls = (await Promise.all(tabs.map((t) => t.evaluate(() => window.rotationCalls)))).flat();
    const refusals = (await Promise.all(tabs.map((t) => t.evaluate(() => window.apiRefusals)))).flat()
      .filter((at) => at >= started).length;
    const all = await Promise.all(tabs.map(events));
    const logouts = all.flat().filter((e) => e.event === "logout" && e.at >= started).length;
    const errors = all.flat().filter((e) => e.event === "error" && e.at >= started);
    const refreshes = all.flat().filter((e) => e.event === "refresh" && e.source === "network" && e.at >= started)
      .map((e) => e.at);
    const statsAfter = await Promise.all(servers.map(stats));
    const delta = (k) => statsAfter.reduce((n, s, i) => n + s[k] - statsBefore[i][k], 0);
    const bad = calls.filter((c) => c.status !== 200);
    const phase = (from, to) => refreshes.filter((t) => t >= from && t < to).length;
    const phases = [phase(started, staged.activateAt), phase(staged.activateAt, staged.retireAt), phase(staged.retireAt, ended)];
    console.log(`key rotation, 8 tabs, 3 instances: ${ended - started} ms, ${calls.length} API calls ` +
      `(${bad.length} not 200), ${refreshes.length} network refreshes (${phases.join(" / ")} before promotion / ` +
      `until retirement / after), server refresh requests ${delta("refresh_requests")}, grace ${delta("refresh_grace")}, ` +
      `reuse ${delta("refresh_reuse")}, API 401s ${refusals}, logouts ${logouts}`);

    assert.deepEqual(bad, [], "every API call answered 200");
    assert.equal(logouts, 0, "no false logout");
    assert.equal(refusals, 0, "no token refused: every instance accepted every published key");
    assert.deepEqual(errors, []);
    assert.equal(delta("refresh_reuse"), 0);
    assert.ok(phases.every((n) => n >= 1), `refreshes before promotion / until retirement / after: ${phases}`);
    assert.ok(calls.length >= TABS * 20, `${calls.length} calls`);
    // The rotation took place: every instance publishes the new key alone, and it signs.
    for (const server of servers) assert.deepEqual(await kidsAt(server.url), [staged.kid]);
    assert.notEqual(staged.kid, oldKid);
    assert.equal(jwtHeader((await newSession({ url: proxy.url, origin: proxy.origin })).accessToken).kid, staged.kid);
    for (const tab of tabs) assert.deepEqual(unexpectedErrors(tab), []);
  });
});
