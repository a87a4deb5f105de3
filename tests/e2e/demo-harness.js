// Shared by the end-to-end suites: builds the demo SPA with Vite into a scratch directory,
// runs the real reference server serving it (tests/server/server-process.js), and drives
// Debian's Chromium (tests/support/chromium.js). Screenshots go to test-results/screenshots/.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../server/server-process.js";
import { watchPageErrors } from "../support/chromium.js";

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

/** A page of `context` on the demo, with its uncaught errors collected. */
export async function openDemo(context, url, path = "/") {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors = watchPageErrors(page);
  await page.goto(url + path);
  return { page, errors };
}

/**
 * Errors a page logged that are not the expected ones: Chromium prints every 4xx response
 * ("Failed to load resource: … 401"), which the demo provokes on purpose.
 */
export const unexpectedErrors = (errors) => errors.filter((e) => !/Failed to load resource/.test(e));

export const signInHeading = (page) => page.getByRole("heading", { level: 1, name: "Sign in" });

export async function waitForSignedIn(page, username) {
  await page.getByRole("heading", { level: 1, name: /Profile|Posts/ }).waitFor();
  await page.locator("#whoami", { hasText: `Signed in as ${username}` }).waitFor();
}

export async function signInWithPassword(page, username, password) {
  await signInHeading(page).waitFor();
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await waitForSignedIn(page, username);
}

/** A claim of the current access token, as the session panel shows it ("exp" → 1795356643). */
export async function claimShown(page, name) {
  const text = await page.locator("#claims dt", { hasText: new RegExp(`^${name}$`) })
    .locator("xpath=following-sibling::dd[1]").innerText();
  return /^\d+/.test(text) ? Number(/^\d+/.exec(text)[0]) : text;
}

/** The log entries' text, newest first. */
export const logEntries = (page) => page.locator("#log li").allInnerTexts();

export async function waitForLogEntry(page, pattern, timeout = 15_000) {
  await page.locator("#log li", { hasText: pattern }).first().waitFor({ timeout });
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
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
  await page.addScriptTag({ path: axeScript });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  });
}
