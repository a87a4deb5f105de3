// Helpers for the cross-tab suites in real browsers (tests/support/browser.js: Chromium or
// Firefox): a site the reference server serves itself (the test page with the package's js/
// and dist/, one origin with /auth and /api), tabs on it, and what a tab reports.
import { assembleSite as assembleSiteOf } from "../support/site.js";

/** A static root with tests/tabs/page and symlinks to js/ and dist/; returns { dir, remove }. */
export const assembleSite = () => assembleSiteOf("tests/tabs/page/index.html");

/** A new tab of `browser` on the test page, once its client has restored. */
export async function openTab(browser, server, query = "") {
  const page = await browser.newPage();
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
  return page;
}

export const user = (tab) => tab.evaluate(() => window.auth.user?.sub ?? null);
export const events = (tab) => tab.evaluate(() => window.events);
export const session = (tab) => tab.evaluate(() => window.auth.session());

export const login = (tab) => tab.evaluate(() => window.auth.loginWithPassword("demo", "demo-password"));

export async function waitForUserEverywhere(list) {
  await Promise.all(list.map((t) => t.waitForFunction(() => window.auth.user !== null, null, { timeout: 5000 })));
}

/** Milliseconds until the latest access token among `list` has expired (by the tabs' clocks). */
export async function untilAllExpired(list) {
  return Math.max(...(await Promise.all(list.map(session))).map((s) => s.expiresIn)) * 1000;
}

/** Errors a tab logged, less Chromium's line for every 4xx response the tests provoke. */
export const unexpectedErrors = (tab) => tab.errors.filter((e) => !/Failed to load resource/.test(e));
