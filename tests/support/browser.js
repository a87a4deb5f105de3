// One small browser interface over both engines the suites run in: Chromium through
// playwright-core (./chromium.js) and Firefox through puppeteer-core (./firefox.js), whose
// APIs differ (argument order of waitForFunction, locators, request interception).
//
//   const browser = await launchBrowser("firefox");
//   const page = await browser.newPage();      // page.errors collects uncaught errors
//   await page.goto(url); await page.waitFor("h1", { text: "Sign in" });
//   await page.click("button", { text: "Sign in" }); await browser.close();
//
// Elements are found by a CSS selector and, optionally, their rendered text: a string (a
// substring of innerText; `exact` for the whole of it) or a RegExp. Waits poll every 50 ms on
// an interval, not on animation frames, which hidden pages never get.
import { launchChromium, watchPageErrors } from "./chromium.js";
import { launchFirefox } from "./firefox.js";

export const engines = ["chromium", "firefox"];

const POLL_MS = 50;

/**
 * @param {"chromium"|"firefox"} engine
 * @param {{ throttleHiddenPages?: boolean }} options Firefox only: false lifts the clamp on
 *   hidden pages' timers (Chromium under playwright treats every page as visible).
 */
export async function launchBrowser(engine, options = {}) {
  if (engine === "chromium") {
    const chromium = await launchChromium();
    return {
      engine,
      newPage: async () => wrapPlaywright(await chromium.context.newPage()),
      clearCookies: () => chromium.context.clearCookies(),
      close: () => chromium.close(),
    };
  }
  if (engine === "firefox") {
    const firefox = await launchFirefox(options);
    const context = firefox.defaultBrowserContext();
    return {
      engine,
      newPage: async () => wrapPuppeteer(await firefox.newPage()),
      clearCookies: async () => context.deleteCookie(...(await context.cookies())),
      close: () => firefox.close(),
    };
  }
  throw new Error(`unknown engine ${engine}`);
}

// Runs in the page: the first rendered element matching { selector, text, exact }.
function findElement({ selector, text, exact }) {
  const matches = (el) => {
    if (text === null) return true;
    const shown = (el.innerText ?? el.textContent ?? "").trim();
    if (typeof text === "object") return new RegExp(text.source, text.flags).test(shown);
    return exact ? shown === text : shown.includes(text);
  };
  return [...document.querySelectorAll(selector)].find((el) => el.getClientRects().length > 0 && matches(el)) ?? null;
}

const spec = (selector, { text = null, exact = false } = {}) => ({
  selector,
  text: text instanceof RegExp ? { source: text.source, flags: text.flags } : text,
  exact,
});

/** What both wrappers share, given the engine's waitForFunction(fn, arg, { timeout, polling }). */
function common(engine, page, waitForFunction) {
  return {
    engine,
    raw: page,
    errors: watchPageErrors(page),
    url: () => page.url(),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitForFunction: (fn, arg, { timeout = 10_000 } = {}) => waitForFunction(fn, arg, { timeout, polling: POLL_MS }),
    /** Waits for a rendered element (see the top of this file); resolves to its handle. */
    async waitFor(selector, { timeout = 10_000, ...match } = {}) {
      try {
        return (await waitForFunction(findElement, spec(selector, match), { timeout, polling: POLL_MS })).asElement();
      } catch (error) {
        error.message = `waiting for ${selector} ${match.text ?? ""}: ${error.message}`;
        throw error;
      }
    },
    async click(selector, match = {}) {
      const element = await this.waitFor(selector, match);
      await element.click();
    },
    text: (selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
    screenshot: (path) => page.screenshot({ path, fullPage: true }),
    addScriptTag: (path) => page.addScriptTag({ path }),
    close: () => page.close(),
    isClosed: () => page.isClosed(),
  };
}

function wrapPlaywright(page) {
  return {
    ...common("chromium", page, (fn, arg, options) => page.waitForFunction(fn, arg, options)),
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    waitForURL: (pattern) => page.waitForURL(pattern),
    fill: (selector, value) => page.fill(selector, value),
    setViewport: (width, height) => page.setViewportSize({ width, height }),
    /** Requests whose path ends with `suffix` are never answered; `reached` resolves at the first. */
    async holdRequests(suffix) {
      let reached;
      const first = new Promise((resolve) => (reached = resolve));
      await page.route(`**${suffix}`, () => reached()); // neither continued, fulfilled nor aborted
      return { reached: first };
    },
  };
}

function wrapPuppeteer(page) {
  return {
    ...common("firefox", page, (fn, arg, options) => page.waitForFunction(fn, options, arg)),
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    waitForURL: (pattern) => page.waitForFunction(
      (re) => new RegExp(re.source, re.flags).test(location.href),
      { polling: POLL_MS, timeout: 10_000 },
      pattern instanceof RegExp ? { source: pattern.source, flags: pattern.flags }
                                : { source: `^${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, flags: "" }),
    fill: (selector, value) => page.locator(selector).fill(value),
    setViewport: (width, height) => page.setViewport({ width, height }),
    async holdRequests(suffix) {
      let reached;
      const first = new Promise((resolve) => (reached = resolve));
      page.on("request", (request) => {
        if (request.isInterceptResolutionHandled()) return;
        if (new URL(request.url()).pathname.endsWith(suffix)) reached(); // never continued
        else request.continue();
      });
      await page.setRequestInterception(true);
      return { reached: first };
    },
  };
}
