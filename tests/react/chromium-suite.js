// The browser tests of authwasm/react, defined once and run per React version
// (react18-chromium.test.js, react19-chromium.test.js): the test app (app/main.js) under
// <StrictMode> in a development build, served by the real reference server, in Debian's
// Chromium. Each test registers its own user.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { register, sleep, uniqueUsername } from "../server/server-process.js";
import { launchChromium, watchPageErrors } from "../support/chromium.js";
import { unexpectedErrors } from "../e2e/demo-harness.js";
import { stats } from "../tabs/support.js";
import { buildApp, startAppServer } from "./harness.js";

const WAIT = { timeout: 15_000 };

export function defineChromiumSuite(major) {
  describe(`authwasm/react with React ${major} in Chromium, under StrictMode`, () => {
    let app, server, browser;
    const requests = []; // every request of the browser context: { method, path, search, page }
    let callbackUrl = null; // the real callback of the first test, replayed by the second

    before(async () => {
      app = await buildApp(major);
      server = await startAppServer(app.dir);
      browser = await launchChromium();
      browser.context.on("request", (r) => {
        const url = new URL(r.url());
        requests.push({ method: r.method(), path: url.pathname, search: url.search, page: r.frame().page() });
        if (url.pathname === "/callback" && url.searchParams.has("code")) callbackUrl = r.url();
      });
    });
    // Every test starts signed out: the refresh cookie is the only state a browser keeps.
    beforeEach(() => browser.context.clearCookies());
    after(async () => {
      await browser?.close();
      await server?.stop();
      await app?.cleanup();
    });

    async function open(path) {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(server.url + path);
      return { page, errors };
    }
    /** The page runs the React under test (the aliases in harness.js took effect). */
    const assertReact = async (page) =>
      assert.match(await page.evaluate(() => window.probe.reactVersion), new RegExp(`^${major}\\.`));
    const text = (page, id) => page.locator(`#${id}`).innerText();
    const waitForText = (page, id, value) => page.locator(`#${id}`, { hasText: new RegExp(`^${value}$`) }).waitFor(WAIT);
    const count = (page, method, path, from = 0) =>
      requests.slice(from).filter((r) => r.page === page && r.method === method && r.path === path).length;

    /**
     * From a signed-out page to the protected view through RequireAuth, /authorize (the
     * server's login form) and /callback; `enter` brings the page to the guard.
     */
    async function redirectLogin({ mode, path, enter, returnTo }) {
      const user = await register(server, uniqueUsername(`react${major}`));
      const exchangesBefore = (await stats(server)).token_exchanges;
      const { page, errors } = await open(`${path}?mode=${mode}`);
      try {
        await enter(page);
        // Signed out: the guard shows its fallback and sends the browser to /authorize, once.
        await page.waitForURL(/\/authorize\?/, WAIT);
        await page.locator('input[name="username"]').fill(user.username);
        await page.locator('input[name="password"]').fill(user.password);
        const callbackStart = requests.length;
        await page.getByRole("button", { name: "Sign in" }).click();

        await page.locator("#secret").waitFor(WAIT);
        await waitForText(page, "status", `signed in as ${user.sub}`);
        assert.equal(await text(page, "error"), "", "no error rendered (no state_mismatch)");
        assert.equal(count(page, "GET", "/authorize"), 1, "one login() despite StrictMode");
        assert.equal(count(page, "POST", "/token", callbackStart), 1, "one code exchange");
        assert.equal(count(page, "POST", "/auth/refresh", callbackStart), 0, "no restore() beside the callback");
        assert.equal((await stats(server)).token_exchanges - exchangesBefore, 1);

        const probe = await page.evaluate(() => ({
          mode: sessionStorage.getItem("mode"), effectRuns: window.probe.effectRuns, channels: window.probe.channels,
          clients: window.probe.clients.size, redirects: window.probe.redirects,
          path: location.pathname, search: location.search }));
        await assertReact(page);
        assert.equal(probe.mode, mode);
        assert.equal(probe.effectRuns, 2, "StrictMode ran the effects twice (a development build)");
        assert.equal(probe.clients, 1, "one client for the provider");
        assert.equal(probe.channels, 1, "one client made");
        assert.deepEqual(probe.redirects, [returnTo], "onRedirectCallback once, with the guard's URL");
        assert.equal(probe.path + probe.search, returnTo, "back where the guard was; code, state and iss are gone");
        assert.ok(callbackUrl, "the browser went through /callback?code=…");
        assert.deepEqual(unexpectedErrors(errors), []);
      } finally {
        await page.close();
      }
    }

    test(`React ${major}: <AuthProvider options>: a redirect login through RequireAuth exchanges its code exactly once`,
         () => redirectLogin({ mode: "options", path: "/protected", enter: async () => {},
                              returnTo: "/protected?mode=options" }));

    // The client exists at mount here, so StrictMode's second effect run meets the callback
    // (and, after a client-side route change, RequireAuth mounts with the state settled).
    test(`React ${major}: <AuthProvider client>: a route change into RequireAuth, then a callback, exchange exactly once`,
         () => redirectLogin({ mode: "client", path: "/", enter: async (page) => {
           await waitForText(page, "status", "signed out");
           await page.evaluate(() => window.probe.navigate("/protected"));
         }, returnTo: "/protected" }));

    test(`React ${major}: a replayed callback shows state_mismatch, exchanges nothing and keeps the session; a forged one never loops to /authorize`, async () => {
      assert.ok(callbackUrl, "needs the first test's callback");
      const user = await register(server, uniqueUsername(`replay${major}`));
      const session = await open("/");
      await session.page.evaluate(([u, p]) => window.probe.auth.loginWithPassword(u, p), [user.username, user.password]);
      await session.page.close();
      const exchangesBefore = (await stats(server)).token_exchanges;
      const from = requests.length;
      const replay = await open(new URL(callbackUrl).pathname + new URL(callbackUrl).search);
      try {
        await waitForText(replay.page, "error", "state_mismatch");
        await waitForText(replay.page, "status", `signed in as ${user.sub}`); // restored from the cookie
        assert.equal(count(replay.page, "POST", "/token", from), 0);
        assert.deepEqual(unexpectedErrors(replay.errors), []);
      } finally {
        await replay.page.close();
      }

      await browser.context.clearCookies(); // signed out now
      const forged = await open("/protected?code=forged&state=forged");
      try {
        await waitForText(forged.page, "guard-error", "state_mismatch");
        await waitForText(forged.page, "status", "signed out");
        await sleep(1000); // a redirect loop would have started by now
        assert.equal(count(forged.page, "GET", "/authorize", from), 0, "RequireAuth does not redirect while error is set");
        assert.equal(count(forged.page, "POST", "/token", from), 0);
        assert.equal(new URL(forged.page.url()).search, "", "the forged parameters are removed too");
        assert.equal((await stats(server)).token_exchanges, exchangesBefore);
        assert.deepEqual(unexpectedErrors(forged.errors), []);
      } finally {
        await forged.page.close();
      }
    });

    test(`React ${major}: two tabs: a login in one signs in the other, a logout in the other signs out the first, without reloads`, async () => {
      const user = await register(server, uniqueUsername(`tabs${major}`));
      const a = await open("/");
      const b = await open("/");
      try {
        await waitForText(a.page, "status", "signed out");
        await waitForText(b.page, "status", "signed out");
        await assertReact(a.page);
        for (const tab of [a, b]) await tab.page.evaluate(() => { window.sameDocument = true; });

        await a.page.evaluate(([u, p]) => window.probe.auth.loginWithPassword(u, p), [user.username, user.password]);
        await waitForText(a.page, "status", `signed in as ${user.sub}`);
        await waitForText(b.page, "status", `signed in as ${user.sub}`); // BroadcastChannel, no request

        await b.page.locator("#logout").click();
        await waitForText(b.page, "status", "signed out");
        await waitForText(a.page, "status", "signed out");
        for (const tab of [a, b]) {
          assert.equal(await tab.page.evaluate(() => window.sameDocument), true, "re-rendered, not reloaded");
          assert.equal(await text(tab.page, "error"), "");
          assert.deepEqual(unexpectedErrors(tab.errors), []);
        }
      } finally {
        await a.page.close();
        await b.page.close();
      }
    });

    test(`React ${major}: an options provider closes its one client on unmount; a client provider never closes the app's`, async () => {
      const isOpen = (page) => page.evaluate(() => {
        try {
          [...window.probe.clients][0].session();
          return true;
        } catch {
          return false; // "no client with this handle (closed?)"
        }
      });
      for (const [mode, stays] of [["options", false], ["client", true]]) {
        const { page, errors } = await open(`/?mode=${mode}`);
        try {
          await waitForText(page, "status", "signed out");
          assert.deepEqual(await page.evaluate(() => [window.probe.clients.size, window.probe.channels]), [1, 1],
                           `${mode}: one client rendered, one made`);
          if (mode === "client") {
            assert.equal(await page.evaluate(() => [...window.probe.clients][0] === window.probe.ownClient), true);
          }
          assert.equal(await isOpen(page), true);
          await page.evaluate(() => window.probe.unmount());
          await page.locator("#unmounted").waitFor(WAIT);
          await sleep(100);
          assert.equal(await isOpen(page), stays, `${mode}: still open after unmount: ${stays}`);
          assert.deepEqual(unexpectedErrors(errors), []);
        } finally {
          await page.close();
        }
      }
    });
  });
}
