// Fault figures (printed, never asserted), through tests/support/fault-proxy.js in front of
// the real reference server, with the client's DEFAULT options (10 s deadline):
//   - time to a typed error for a black-holed refresh: one Node client, and N Chromium tabs
//     of one profile that all need the refresh at once (every tab's call until it settles);
//   - time for the session to work again after the server process is killed and restarted
//     on the same port and data: the restart itself, then from "listening" to the first
//     successful auth.fetch (which refreshes).
//   node bench/faults.mjs [tabs=4] [restarts=5]
import { callTogether, startBrowserStack } from "../tests/faults/browser-stack.js";
import { loggedInTab, sleep, startStack, timed } from "../tests/faults/support.js";

const TABS = Number(process.argv[2] ?? 4);
const RESTARTS = Number(process.argv[3] ?? 5);
const ACCESS_TTL = 2;
const REFRESH = "/auth/refresh";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

async function untilRefreshDue(auth) {
  while (auth.session().expiresIn > ACCESS_TTL / 2 - 0.1) await sleep(25);
}

// ---------------------------------------------------------------- Node: one client
{
  const stack = await startStack({ accessTtl: ACCESS_TTL });
  try {
    const tab = await loggedInTab(stack);
    await untilRefreshDue(tab.auth);
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    const { ms: took, error } = await timed(tab.auth.fetch(`${stack.url}/api/posts`));
    stack.proxy.clear();
    console.log(`black-holed refresh, Node client, default deadline: ${error?.code ?? "no error"} after ${ms(took)}`);

    const restart = [];
    const working = [];
    for (let i = 0; i < RESTARTS; i++) {
      await untilRefreshDue(tab.auth);
      const t0 = performance.now();
      await stack.crash();
      await stack.start();
      const listening = performance.now();
      const call = await timed(tab.auth.fetch(`${stack.url}/api/posts`), listening);
      if (call.error || call.value.status !== 200) throw new Error(`after restart ${i}: ${call.error?.code ?? call.value.status}`);
      restart.push(listening - t0);
      working.push(call.ms);
    }
    console.log(`server restart (SIGKILL → listening again, same port and data), median of ${RESTARTS}: ${ms(median(restart))}`);
    console.log(`  then to the first successful auth.fetch (one refresh), median: ${ms(median(working))}; ` +
                `kill → working: ${ms(median(restart.map((r, i) => r + working[i])))}`);
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------- Chromium: N tabs
{
  const stack = await startBrowserStack({ accessTtl: ACCESS_TTL });
  try {
    for (let i = 0; i < TABS; i++) await stack.openTab();
    await stack.tabs[0].page.evaluate(() => window.auth.loginWithPassword("demo", "demo-password"));
    await Promise.all(stack.tabs.map((t) => t.page.waitForFunction(() => window.auth.user !== null)));
    await Promise.all(stack.tabs.map((t) => t.page.evaluate((ttl) => window.untilRefreshDue(ttl), ACCESS_TTL)));
    const before = stack.proxy.received(REFRESH);
    stack.proxy.fault(REFRESH, { kind: "blackhole" });
    const calls = await callTogether(stack.tabs);
    stack.proxy.clear();
    const sorted = calls.map((c) => c.ms).sort((a, b) => a - b);
    console.log(`black-holed refresh, ${TABS} Chromium tabs, default deadline: ` +
                `${calls.map((c) => c.result).join(", ")}; settled after ${sorted.map(ms).join(", ")}; ` +
                `${stack.proxy.received(REFRESH) - before} refresh request(s)`);
  } finally {
    await stack.stop();
  }
}
