// Refresh requests per access-token expiry with 1, 2 and 8 tabs of one Chromium profile, each
// tab calling the API at the moment its token expires (the goal is 1 in every case).
// Real reference server (3-second access tokens, /debug/stats), the tests' page
// (tests/tabs/page), headless Chromium via playwright-core. Prints figures; asserts nothing.
// The "solo" rows are the baseline: the same tabs with channel: null, locks: null (each tab
// refreshes on its own; the server's grace window is what keeps them logged in).
//   node bench/tabs.mjs [cycles]   (default 4 cycles per tab count)
import { launchChromium } from "../tests/support/chromium.js";
import { assembleSite } from "../tests/support/site.js";
import { startTabServer, stats } from "../tests/tabs/support.js";

const cycles = Number(process.argv[2] ?? 4);

const { dir: site, remove: removeSite } = await assembleSite("tests/tabs/page/index.html");

const rows = [];
for (const [mode, count] of [["shared", 1], ["shared", 2], ["shared", 8], ["solo", 2], ["solo", 8]]) {
  const server = await startTabServer({ grace: 10, args: ["--static-dir", site] });
  const browser = await launchChromium();
  try {
    const pages = [];
    for (let i = 0; i < count; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/${mode === "solo" ? "?solo" : ""}`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
      pages.push(page);
    }
    await pages[0].evaluate(() => window.auth.loginWithPassword("demo", "demo-password"));
    if (mode === "solo") await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.auth.restore())));
    await Promise.all(pages.map((p) => p.waitForFunction(() => window.auth.user !== null, null, { timeout: 5000 })));
    const perCycle = [];
    let failed = 0;
    const started = await stats(server);
    for (let c = 0; c < cycles; c++) {
      const before = await stats(server);
      const expiries = await Promise.all(pages.map((p) => p.evaluate(() => Date.now() + window.auth.session().expiresIn * 1000)));
      const at = Math.max(...expiries) + 30;
      const statuses = await Promise.all(pages.map((p) => p.evaluate((when) => new Promise((resolve) => {
        setTimeout(() => window.apiCall().then(resolve), Math.max(0, when - Date.now()));
      }), at)));
      failed += statuses.filter((s) => s !== 200).length;
      perCycle.push((await stats(server)).refresh_requests - before.refresh_requests);
    }
    const ended = await stats(server);
    rows.push({ mode, tabs: count, cycles, perCycle, failed,
                grace: ended.refresh_grace - started.refresh_grace, reuse: ended.refresh_reuse - started.refresh_reuse });
  } finally {
    await browser.close();
    await server.stop();
  }
}
await removeSite();

console.log("mode    tabs  cycles  refresh requests per expiry        mean   failed calls  grace re-issues  reuse");
for (const r of rows) {
  const mean = r.perCycle.reduce((a, b) => a + b, 0) / r.perCycle.length;
  console.log(`${r.mode.padEnd(6)}  ${String(r.tabs).padStart(4)}  ${String(r.cycles).padStart(6)}  ${r.perCycle.join(", ").padEnd(33)}  ` +
              `${mean.toFixed(2).padStart(5)}  ${String(r.failed).padStart(12)}  ${String(r.grace).padStart(15)}  ${String(r.reuse).padStart(5)}`);
}
