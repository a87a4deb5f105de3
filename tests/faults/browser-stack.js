// The faults stack with Chromium on top: tests/faults/page served by the reference server
// through the fault proxy (one origin), tabs as pages of one browser context (one profile:
// one cookie jar, BroadcastChannel and Web Locks across them). Used by the Chromium fault
// tests and by bench/soak.mjs.
import { launchChromium, watchPageErrors } from "../support/chromium.js";
import { assembleSite } from "../support/site.js";
import { startStack } from "./support.js";

export async function startBrowserStack({ accessTtl = 2, args = [] } = {}) {
  const site = await assembleSite("tests/faults/page/index.html");
  let stack, browser;
  try {
    stack = await startStack({ accessTtl, args: ["--static-dir", site.dir, ...args] });
    browser = await launchChromium();
  } catch (error) {
    await stack?.stop();
    await site.remove();
    throw error;
  }
  const tabs = [];
  return {
    ...stack,
    stack,
    browser,
    tabs,
    /** Opens a tab (`query`: e.g. "?timeout=2") and waits until its client is ready. */
    async openTab(query = "") {
      const page = await browser.context.newPage();
      const tab = { page, errors: watchPageErrors(page) };
      try {
        await page.goto(`${stack.url}/${query}`);
        await page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
      } catch (error) {
        await page.close().catch(() => {}); // a failed load leaves no stray page behind
        throw error;
      }
      tabs.push(tab);
      return tab;
    },
    live: () => tabs.filter((t) => !t.page.isClosed()),
    async stop() {
      await browser.close().catch(() => {});
      await stack.stop();
      await site.remove();
    },
  };
}

export const events = (tab) => tab.page.evaluate(() => window.events);
export const logouts = async (tab) => (await events(tab)).filter((e) => e.event === "logout");

/** Every tab calls the API at one wall-clock instant; resolves to each tab's { ms, result }. */
export async function callTogether(tabs, options = {}) {
  const at = Date.now() + 150;
  return Promise.all(tabs.map((t) => t.page.evaluate(([when, opts]) => new Promise((resolve) => {
    setTimeout(() => window.apiCall(opts).then(resolve), Math.max(0, when - Date.now()));
  }), [at, options])));
}
