// Debian's chromium driven by playwright-core (never a downloaded browser: there is none
// here). Flags from ../shared/TOOLCHAIN.md: root needs --no-sandbox; without the
// background-networking flags Chromium floods the closed network with connections.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const chromiumPath = process.env.AUTHWASM_CHROMIUM ?? "/usr/bin/chromium";

export async function launchChromium() {
  const profile = await mkdtemp(join(tmpdir(), "authwasm-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Collects a page's console errors and uncaught exceptions, so a test can assert none happened.
export function watchPageErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  return errors;
}
