// Shared by the end-to-end suites: builds the demo SPA with Vite into a scratch directory,
// runs the real reference server serving it (tests/server/server-process.js), and drives it
// in Chromium or Firefox through tests/support/browser.js (pages there find elements by CSS
// selector and rendered text). Screenshots go to test-results/screenshots/ (Firefox's with a
// "firefox-" prefix).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../server/server-process.js";

export const repo = fileURLToPath(new URL("../..", import.meta.url));
export const screenshotDir = join(repo, "test-results", "screenshots");

/** Builds demo-spa/ (as `npm start` does) into a fresh directory; returns { dir, cleanup }. */
export async function buildDemo() {
  const dir = await mkdtemp(join(tmpdir(), "authwasm-demo-dist-"));
  const { build } = await import("vite");
  await build({
    configFile: join(repo, "demo-spa", "vite.config.js"),
    logLevel: "error",
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The server in demo mode with the demo as its static site, on an ephemeral port.
 * Short access tokens so expiry happens within a test.
 */
export function startDemoServer(distDir, { accessTtl = 12, args = [] } = {}) {
  return startServer({
    args: ["--demo", "--debug-stats", "--static-dir", distDir, "--access-ttl", String(accessTtl),
           "--grace", "10", ...args],
  });
}

/** A page of `browser` (tests/support/browser.js) on the demo; `errors` collects its uncaught errors. */
export async function openDemo(browser, url, path = "/") {
  const page = await browser.newPage();
  await page.setViewport(1280, 900);
  await page.goto(url + path);
  return { page, errors: page.errors };
}

/**
 * Errors a page logged that are not the expected ones: Chromium prints every 4xx response
 * ("Failed to load resource: … 401"), which the demo provokes on purpose; Firefox reports
 * that the server's own login page (/authorize, CSP `default-src 'none'`, no icon link)
 * blocks its automatic /favicon.ico request.
 */
export const unexpectedErrors = (errors) => errors.filter((e) =>
  !/Failed to load resource/.test(e) && !/Content-Security-Policy: .*\(img-src\) at \S+\/favicon\.ico /.test(e));

export const waitForSignInHeading = (page, options = {}) => page.waitFor("h1", { text: "Sign in", exact: true, ...options });

/** Text shown in the view (not in the side panel's log), e.g. a post title or a notice. */
export const waitForInView = (page, text, options = {}) => page.waitFor("#main", { text, ...options });

export const clickButton = (page, name) => page.click("button", { text: name, exact: true });

export async function waitForSignedIn(page, username) {
  await page.waitFor("h1", { text: /^(Profile|Posts)$/ });
  await page.waitFor("#whoami", { text: `Signed in as ${username}` });
}

export async function signInWithPassword(page, username, password) {
  await waitForSignInHeading(page);
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await clickButton(page, "Sign in");
  await waitForSignedIn(page, username);
}

/** A claim of the current access token, as the session panel shows it ("exp" → 1795356643). */
export async function claimShown(page, name) {
  const text = await page.evaluate((claim) => {
    const term = [...document.querySelectorAll("#claims dt")].find((dt) => dt.textContent.trim() === claim);
    return term?.nextElementSibling?.innerText ?? null;
  }, name);
  return /^\d+/.test(text) ? Number(/^\d+/.exec(text)[0]) : text;
}

/** The log entries' text, newest first. */
export const logEntries = (page) => page.evaluate(() => [...document.querySelectorAll("#log li")].map((li) => li.innerText));

export async function waitForLogEntry(page, pattern, timeout = 15_000) {
  await page.waitFor("#log li", { text: pattern, timeout });
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot(join(screenshotDir, `${page.engine === "chromium" ? "" : `${page.engine}-`}${name}.png`));
}

/** What the page could read of its own storage: tokens must never be there. */
export function readableStorage(page) {
  return page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
  }));
}

const axeScript = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** axe-core's WCAG 2.1 A and AA violations on the page as it is now: [{ id, impact, help, nodes }]. */
export async function accessibilityViolations(page) {
  await page.addScriptTag(axeScript);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  });
}
