// Issue 14's proof in Chromium: memory mode against oidc-provider (rotation, 2 s access
// tokens), 4 tabs of one profile. Log in in tab 1, open 3 more (logged in without a redirect),
// close tab 1 (hand-off), expire the tokens 3 times, reload two tabs, kill one tab in the
// middle of a refresh. Throughout: 0 grant revocations, 1 refresh grant per expiry, every
// remaining tab logged in, no navigation but the login's.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { launchChromium } from "../support/chromium.js";
import { startStaticServer } from "../support/static-server.js";
import { startProvider } from "./provider.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const step = (what) => process.env.AUTHWASM_TEST_TRACE && console.error(`[${new Date().toISOString()}] ${what}`);
let app;
let op;
let browser;
const revoked = [];

before(async () => {
  app = await startStaticServer(repo);
  op = await startProvider({ redirectUris: [`${app.url}/tests/oidc/tabs-page.html`], ttl: { AccessToken: 2 } });
  op.provider.on("grant.revoked", (_ctx, id) => revoked.push(id));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await op?.close();
  await app?.close();
});

const pageUrl = () => `${app.url}/tests/oidc/tabs-page.html`;
const refreshGrants = () => op.count("POST /token"); // the code exchange is counted once, before

async function openTab() {
  const page = await browser.context.newPage();
  const navigations = [];
  page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
  await page.goto(`${pageUrl()}?issuer=${encodeURIComponent(op.issuer)}`);
  await page.waitForFunction(() => window.ready || window.failure, null, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => window.failure ?? null), null);
  return { page, navigations };
}

const holderOf = async (tabs) => {
  const flags = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.auth.session().holdsRefreshToken)));
  return tabs.filter((_, i) => flags[i]);
};

test("Chromium, 4 tabs: one holder, hand-off, 3 expiries, reloads and a killed tab — 0 revocations, 1 grant per expiry", { timeout: 120_000 }, async () => {
  step("open tab 1");
  const first = await openTab();
  await Promise.all([first.page.waitForURL(`${op.issuer}/interaction/**`), first.page.evaluate(() => window.auth.login())]);
  await first.page.fill('input[name="login"]', "alice");
  await first.page.fill('input[name="password"]', "secret");
  await Promise.all([first.page.waitForURL(`${op.issuer}/interaction/**`), first.page.click('button[type="submit"]')]);
  await first.page.click('button[type="submit"]'); // consent
  await first.page.waitForFunction(() => window.ready && window.auth.isAuthenticated, null, { timeout: 15_000 });
  const authorizeRequests = op.count("GET /auth");

  step("logged in");
  let tabs = [first];
  for (let i = 0; i < 3; i++) tabs.push(await openTab());
  for (const t of tabs.slice(1)) {
    assert.equal(await t.page.evaluate(() => window.auth.user?.sub), "alice", "logged in without a redirect");
    assert.deepEqual(t.navigations.map((u) => new URL(u).pathname), ["/tests/oidc/tabs-page.html"],
      "no navigation but the page load");
  }
  assert.equal((await holderOf(tabs)).length, 1);

  const everyTabCalls = async (label) => {
    const results = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.call())));
    assert.deepEqual(results, tabs.map(() => "alice"), label);
  };
  const expiry = async (label) => {
    await sleep(2100);
    const before = refreshGrants();
    await everyTabCalls(label);
    assert.equal(refreshGrants() - before, 1, `${label}: exactly one refresh grant`);
  };

  step("3 more tabs open");
  // Close tab 1, the holder: it hands the refresh token over.
  await first.page.close();
  tabs = tabs.slice(1);
  await sleep(100);
  assert.equal((await holderOf(tabs)).length, 1, "one holder after the hand-off");

  step("handed off");
  for (let i = 1; i <= 3; i++) await expiry(`expiry ${i}`);
  step("3 expiries");

  // Reload two tabs (one of them the holder).
  const [holder] = await holderOf(tabs);
  const other = tabs.find((t) => t !== holder);
  for (const t of [holder, other]) {
    await t.page.reload();
    await t.page.waitForFunction(() => window.ready || window.failure, null, { timeout: 15_000 });
    assert.equal(await t.page.evaluate(() => window.auth.user?.sub ?? window.failure), "alice", "reloaded and logged in");
  }
  assert.equal((await holderOf(tabs)).length, 1, "one holder after the reloads");
  await expiry("after the reloads");

  step("reloads done");
  // Kill a tab that is not the holder while a refresh it asked for is in flight.
  await sleep(2100);
  const [current] = await holderOf(tabs);
  const victim = tabs.find((t) => t !== current);
  const before = refreshGrants();
  const within = (promise, ms) => Promise.race([promise.catch(() => "failed"), sleep(ms).then(() => "pending")]);
  victim.page.evaluate(() => window.call()).catch(() => {}); // it asks the holder for a token…
  await sleep(20);
  const cdp = await browser.context.newCDPSession(victim.page);
  await within(cdp.send("Page.crash"), 2000); // …and its renderer dies meanwhile
  tabs = tabs.filter((t) => t !== victim);
  await everyTabCalls("after a tab was killed mid-refresh");
  // The crash can take ~2 s to report, a whole lifetime of these tokens: at most one more grant.
  assert.ok(refreshGrants() - before <= 2, `refresh grants around the kill: ${refreshGrants() - before}`);
  await expiry("after the kill");

  assert.deepEqual(revoked, [], "no grant revocation");
  assert.equal(op.count("GET /auth"), authorizeRequests, "no redirect after the login");
  for (const t of tabs) {
    const logouts = await t.page.evaluate(() => window.events.filter(([e]) => e === "logout"));
    assert.deepEqual(logouts, [], "no logout");
  }
});
