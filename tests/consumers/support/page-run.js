// Loads a consumer page in headless Chromium and answers what it reported (window.result,
// set by ../page/flow.js) and the errors it logged. One browser per test file.
import { after } from "node:test";
import { launchChromium, watchPageErrors } from "../../support/chromium.js";

let launching;
after(async () => (await launching)?.close());

/** @returns {Promise<{ result: object, errors: string[], requested: string[] }>} requested: paths fetched */
export async function runPage(url) {
  launching ??= launchChromium();
  const browser = await launching;
  const page = await browser.context.newPage();
  try {
    const errors = watchPageErrors(page);
    const requested = [];
    page.on("request", (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(url);
    await page.waitForFunction(() => window.result, null, { timeout: 60_000 });
    return { result: await page.evaluate(() => window.result), errors, requested };
  } finally {
    await page.close();
  }
}

/** What ../page/flow.js reports after a login as demo and one auth.fetch, without and with DPoP. */
export const loggedInAndFetched = {
  dpop: { apiStatus: 200, keyBound: true },
  pkce: { verifierLength: 64, method: "S256" },
  authenticated: true,
  apiStatus: 200,
  viewerIsTheUser: true,
  posts: 3,
};
