// The redirect flow in Chromium against oidc-provider: a page that imports the package
// (memory mode, discovery, authwasm/verify), the provider's real login and consent forms, the
// callback, UserInfo and a rotated refresh. One Chromium for this file.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { launchChromium, watchPageErrors } from "../support/chromium.js";
import { startStaticServer } from "../support/static-server.js";
import { startProvider } from "./provider.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
let app;
let op;
let browser;

before(async () => {
  app = await startStaticServer(repo);
  const page = `${app.url}/tests/oidc/page.html`;
  op = await startProvider({ redirectUris: [page], postLogoutRedirectUris: [page] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await op?.close();
  await app?.close();
});

test("Chromium: login through the provider's forms, callback, userinfo, refresh", { timeout: 60_000 }, async () => {
  const page = await browser.context.newPage();
  const errors = watchPageErrors(page);
  await page.goto(`${app.url}/tests/oidc/page.html?issuer=${encodeURIComponent(op.issuer)}`);
  await page.waitForFunction(() => window.ready === true || window.result, null, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => window.result?.message ?? null), null);

  await Promise.all([page.waitForURL(`${op.issuer}/interaction/**`), page.evaluate(() => window.auth.login())]);
  await page.fill('input[name="login"]', "alice");
  await page.fill('input[name="password"]', "secret");
  await Promise.all([page.waitForURL(`${op.issuer}/interaction/**`), page.click('button[type="submit"]')]);
  await page.click('button[type="submit"]'); // consent: Continue
  await page.waitForFunction(() => window.result, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.result);
  assert.equal(result.error, undefined, result.message);
  assert.equal(result.user.sub, "alice");
  assert.equal(result.userinfo.sub, "alice");
  assert.equal(result.refreshed.sub, "alice");
  assert.equal(result.session.refreshCount, 1);
  assert.equal(new URL(page.url()).searchParams.has("code"), false, "code and state are gone from the address bar");
  // Memory mode: nothing about the session in Web Storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  assert.doesNotMatch(stored, /refresh|access_token|id_token|eyJ/);
  // The provider's pages @import Google Fonts (no network here) and nobody serves a favicon:
  // resource-loading noise, not errors of the page's code.
  assert.deepEqual(errors.filter((e) => !e.includes("Failed to load resource")), []);
  await page.close();
});
