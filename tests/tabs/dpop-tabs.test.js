// DPoP (RFC 9449) across 8 tabs of one profile, in Chromium and in Firefox, against the reference server with
// `--dpop required` and 3-second access tokens: the tabs opened at once make exactly ONE key
// (IndexedDB "authwasm" / "dpop-keys"), every tab signs with it, 8 calls at an expiry cost one
// rotation with that key, and a logout in one tab deletes the key and logs every tab out; the
// next login makes a new key that every tab then uses.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser } from "../support/browser.js";
import {
  assembleSite, events, login, openTab, session, unexpectedErrors, untilAllExpired, waitForUserEverywhere,
} from "./browser-support.js";
import { sleep, startTabServer, stats } from "./support.js";

const TABS = 8;
const CYCLES = 2;

// In the page: the key pairs the client stored, as { id, jkt (RFC 7638), extractable }. Looks
// only once the database exists, so the probe never creates it without its object store.
function storedKeys() {
  return (async () => {
    if (!(await indexedDB.databases()).some((d) => d.name === "authwasm")) return [];
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("authwasm");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      if (!db.objectStoreNames.contains("dpop-keys")) return [];
      const read = (op) => new Promise((resolve, reject) => {
        const request = op(db.transaction("dpop-keys", "readonly").objectStore("dpop-keys"));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const [ids, pairs] = [await read((s) => s.getAllKeys()), await read((s) => s.getAll())];
      return Promise.all(pairs.map(async (pair, i) => {
        const { crv, kty, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
        const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify({ crv, kty, x, y })));
        const jkt = btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        return { id: ids[i], jkt, extractable: pair.privateKey.extractable };
      }));
    } finally {
      db.close();
    }
  })();
}

const jktOf = async (tab) => (await session(tab)).accessTokenClaims?.cnf?.jkt ?? null;
const apiCall = (tab) => tab.evaluate(() => window.apiCall());

/** The one stored key, the same seen from every tab. */
async function theOneKey(tabs) {
  const seen = await Promise.all(tabs.map((t) => t.evaluate(storedKeys)));
  for (const keys of seen) assert.deepEqual(keys, seen[0], "every tab sees the same store");
  assert.equal(seen[0].length, 1, `keys stored: ${JSON.stringify(seen[0])}`);
  assert.equal(seen[0][0].extractable, false);
  return seen[0][0];
}

for (const engine of ["chromium", "firefox"]) describe(`${engine}: 8 tabs with DPoP (--dpop required)`, () => {
  let site, server, browser;
  const tabs = [];

  before(async () => {
    site = await assembleSite();
    server = await startTabServer({ grace: 10, args: ["--static-dir", site.dir, "--dpop", "required"] });
    // Firefox clamps hidden pages' timers to 1 s; lifted here as in browser-tabs.test.js
    // (tests/tabs/hidden-tabs.test.js keeps the clamp on).
    browser = await launchBrowser(engine, { throttleHiddenPages: false });
    // All at once: each tab's restore() needs the key, so 8 tabs race to make it.
    tabs.push(...(await Promise.all(Array.from({ length: TABS }, () => openTab(browser, server, "?dpop")))));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await site?.remove();
  });

  let firstKey;
  test("8 tabs opened at once make one non-extractable key; a login in tab 1 binds every tab's token to it", async () => {
    firstKey = await theOneKey(tabs);
    const before = await stats(server);
    await login(tabs[0]);
    await waitForUserEverywhere(tabs);
    assert.deepEqual(await Promise.all(tabs.map(jktOf)), Array(TABS).fill(firstKey.jkt));
    assert.deepEqual(await Promise.all(tabs.map(apiCall)), Array(TABS).fill(200), "every tab signs with the key");
    const after = await stats(server);
    assert.equal(after.logins - before.logins, 1);
    assert.equal(after.dpop.rejected.key_mismatch, 0);
  });

  test(`${CYCLES} expiry cycles: 8 API calls at the expiry cost one refresh each, with the same key`, async () => {
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      await sleep(await untilAllExpired(tabs) + 30);
      const before = await stats(server);
      const statuses = await Promise.all(tabs.map(apiCall));
      const after = await stats(server);
      const label = `cycle ${cycle}`;
      assert.deepEqual(statuses, Array(TABS).fill(200), label);
      assert.equal(after.refresh_requests - before.refresh_requests, 1, `${label}: refresh requests`);
      assert.equal(after.refresh_rotated - before.refresh_rotated, 1, `${label}: rotations`);
      assert.equal(after.refresh_grace - before.refresh_grace, 0, `${label}: grace re-issues`);
      assert.equal(after.refresh_reuse - before.refresh_reuse, 0, `${label}: reuse`);
      assert.deepEqual(after.dpop.rejected, before.dpop.rejected, `${label}: no proof refused`);
      assert.deepEqual(await Promise.all(tabs.map(jktOf)), Array(TABS).fill(firstKey.jkt), label);
    }
    assert.deepEqual(await theOneKey(tabs), firstKey);
  });

  test("logout in tab 1 deletes the key and logs every tab out", async () => {
    await tabs[0].evaluate(() => window.auth.logout());
    await Promise.all(tabs.slice(1).map((t) => t.waitForFunction(
      () => window.events.some((e) => e.event === "logout"), null, { timeout: 2000 })));
    for (const tab of tabs.slice(1)) {
      assert.equal((await events(tab)).find((e) => e.event === "logout").reason, "other_tab");
    }
    assert.deepEqual(await Promise.all(tabs.map((t) => t.evaluate(storedKeys))), Array(TABS).fill([]));
    assert.deepEqual(await Promise.all(tabs.map(apiCall)), Array(TABS).fill("not_authenticated"));
  });

  test("a fresh login (tab 2) makes a new key, which every tab then uses", async () => {
    await login(tabs[1]);
    await waitForUserEverywhere(tabs);
    const secondKey = await theOneKey(tabs);
    assert.notEqual(secondKey.jkt, firstKey.jkt);
    assert.deepEqual(await Promise.all(tabs.map(jktOf)), Array(TABS).fill(secondKey.jkt));
    const before = await stats(server);
    assert.deepEqual(await Promise.all(tabs.map(apiCall)), Array(TABS).fill(200));
    const after = await stats(server);
    assert.deepEqual(after.dpop.rejected, before.dpop.rejected, "no tab signed with the deleted key");
  });

  test("no page errors", () => {
    for (const tab of tabs) assert.deepEqual(unexpectedErrors(tab), []);
  });
});
