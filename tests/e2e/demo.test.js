// End to end: the demo SPA (built by Vite, importing authwasm by package name) served by the
// real reference server, driven in Chromium and in Firefox (tests/support/browser.js), one
// suite per engine with the same tests. Each test uses its own user so the server's per-user
// login limiter and sessions never couple the tests. Firefox keeps its default prefs: a page
// that is not the last one opened is hidden and its timers are clamped, as users have it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { register } from "../server/server-process.js";
import { engines, launchBrowser } from "../support/browser.js";
import {
  accessibilityViolations, buildDemo, claimShown, clickButton, logEntries, openDemo, readableStorage, screenshot,
  signInWithPassword, startDemoServer, unexpectedErrors, waitForInView, waitForLogEntry, waitForSignInHeading,
  waitForSignedIn,
} from "./demo-harness.js";

const ACCESS_TTL = 12; // seconds; the demo counts a token as expired 5 s early (leeway)

let demo, server;
before(async () => {
  demo = await buildDemo();
  server = await startDemoServer(demo.dir, { accessTtl: ACCESS_TTL });
});
after(async () => {
  await server?.stop();
  await demo?.cleanup();
});

const newUser = (prefix) => register(server, `${prefix}-${Date.now().toString(36)}`);

for (const engine of engines) describe(`${engine}: the demo`, () => {
  let browser;
  before(async () => {
    browser = await launchBrowser(engine);
  });
  // Every test starts signed out: the refresh cookie is the only state a browser keeps.
  beforeEach(() => browser.clearCookies());
  after(() => browser?.close());

  test(`${engine}: a wrong password shows a clear message`, async () => {
    const user = await newUser("wrongpw");
    const { page, errors } = await openDemo(browser, server.url);
    try {
      await waitForSignInHeading(page);
      await screenshot(page, "01-signed-out");

      await page.fill("#login-username", user.username);
      await page.fill("#login-password", "not the password");
      await clickButton(page, "Sign in");
      await page.waitFor("#password-error", { text: "Wrong username or password." });
      assert.equal(await page.evaluate(() => document.querySelector("#password-error").getAttribute("role")), "alert");
      // Focus goes back to the password field, which is marked invalid and emptied.
      assert.equal(await page.evaluate(() => document.activeElement?.id), "login-password");
      assert.equal(await page.evaluate(() => document.querySelector("#login-password").getAttribute("aria-invalid")), "true");
      assert.equal(await page.evaluate(() => document.querySelector("#login-password").value), "");
      await waitForLogEntry(page, "POST /auth/login → 401");
      await screenshot(page, "02-wrong-password");

      // And then the right one.
      await page.fill("#login-password", user.password);
      await clickButton(page, "Sign in");
      await waitForSignedIn(page, user.username);
      await waitForLogEntry(page, "Signed in with the password form");
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: login through the redirect to the server's login page`, async () => {
    const user = await newUser("redirect");
    const { page, errors } = await openDemo(browser, server.url, "/posts");
    try {
      await waitForSignInHeading(page);
      await clickButton(page, "Continue to the sign-in page");
      await page.waitForURL(/\/authorize\?/);
      const authorizeUrl = new URL(page.url());
      assert.equal(authorizeUrl.searchParams.get("code_challenge_method"), "S256");
      assert.ok(authorizeUrl.searchParams.get("state"), "the request carries a state");
      await screenshot(page, "03-authorize-page");

      // A wrong password on the server's page: its own clear message, and the form again.
      await page.fill('input[name="username"]', user.username);
      await page.fill('input[name="password"]', "not the password");
      await clickButton(page, "Sign in");
      // The server answers the form with its page again, the message in an alert.
      await page.waitFor('[role="alert"]', { text: "Wrong username or password." });
      await screenshot(page, "04-authorize-wrong-password");

      await page.fill('input[name="password"]', user.password);
      await clickButton(page, "Sign in");

      // Back in the SPA, on the view asked for before the redirect, with the URL cleaned.
      await waitForSignedIn(page, user.username);
      await page.waitFor("h1", { text: "Posts", exact: true });
      await waitForInView(page, "Hello from the reference server");
      const back = new URL(page.url());
      assert.equal(back.pathname, "/posts");
      assert.equal(back.search, "", "code, state and iss are removed from the address bar");
      await waitForLogEntry(page, "Signed in through the redirect");
      await page.waitFor("#claims", { text: user.sub });
      await screenshot(page, "05-signed-in-redirect");

      // No token is readable by scripts: not in storage, not in document.cookie.
      const storage = await readableStorage(page);
      for (const [where, text] of Object.entries(storage)) {
        assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\./, `no JWT in ${where}`);
        assert.doesNotMatch(text, /authwasm_rt/, `no refresh cookie in ${where}`);
      }
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: reload and stay logged in; a second tab is logged in too`, async () => {
    const user = await newUser("reload");
    const { page, errors } = await openDemo(browser, server.url, "/posts");
    let second;
    try {
      await signInWithPassword(page, user.username, user.password);
      await waitForInView(page, "Hello from the reference server");

      // Reload: a fresh page, the session comes back through the HttpOnly cookie.
      await page.reload();
      await waitForSignedIn(page, user.username);
      await waitForLogEntry(page, "Session restored");
      await waitForInView(page, "Hello from the reference server");
      assert.equal(new URL(page.url()).pathname, "/posts");
      await screenshot(page, "06-after-reload");

      // A second tab of the same browser.
      ({ page: second } = await openDemo(browser, server.url, "/profile"));
      await waitForSignedIn(second, user.username);
      await second.waitFor("#profile", { text: user.username });
      await screenshot(second, "07-second-tab");
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await second?.close();
      await page.close();
    }
  });

  test(`${engine}: an expired token is refreshed silently and the API call succeeds`, async () => {
    const user = await newUser("expiry");
    const { page, errors } = await openDemo(browser, server.url, "/posts");
    try {
      await signInWithPassword(page, user.username, user.password);
      await waitForInView(page, "Hello from the reference server");
      await page.waitFor("#refresh-count", { text: "0", exact: true });

      // 1. The server says the token expired before the client thinks so: 401 → refresh → retry.
      await clickButton(page, "Expire my token now");
      await waitForLogEntry(page, "The server now treats your access token as expired");
      await clickButton(page, "Reload posts");
      await page.waitFor("#posts-status", { text: /Loaded 3 posts .*after a silent token refresh/ });
      await waitForLogEntry(page, "GET /api/posts → 401");
      await waitForLogEntry(page, "Silent refresh");
      await waitForLogEntry(page, /GET \/api\/posts → 200 \(retry\)/);
      await page.waitFor("#refresh-count", { text: "1", exact: true });
      await screenshot(page, "08-refresh-after-401");

      // 2. The token's own lifetime runs out: the next call gets a fresh token first.
      const exp = await claimShown(page, "exp");
      await page.waitForFunction((e) => Date.now() / 1000 > e + 1, exp, { timeout: (ACCESS_TTL + 5) * 1000 });
      await page.waitFor("#countdown", { text: "expired" });
      await screenshot(page, "09-token-expired");
      await clickButton(page, "Reload posts");
      await page.waitFor("#posts-status", { text: /Loaded 3 posts .*after a silent token refresh/ });
      await page.waitFor("#refresh-count", { text: "2", exact: true });
      const newExp = await claimShown(page, "exp");
      assert.ok(newExp > exp, "the session panel shows the new token's claims");
      const log = await logEntries(page);
      assert.ok(log.filter((e) => /Silent refresh/.test(e)).length >= 2, log.join("\n---\n"));
      await screenshot(page, "10-refreshed-after-expiry");
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: logout in one tab logs out the other`, async () => {
    const user = await newUser("tabs");
    const { page: first, errors } = await openDemo(browser, server.url);
    let second;
    try {
      await signInWithPassword(first, user.username, user.password);
      ({ page: second } = await openDemo(browser, server.url));
      await waitForSignedIn(second, user.username);

      // A refresh in one tab is shared with the other over BroadcastChannel.
      await clickButton(first, "Expire my token now");
      await waitForLogEntry(first, "The server now treats your access token as expired");
      await first.click("a", { text: "Posts", exact: true });
      await first.waitFor("#posts-status", { text: /after a silent token refresh/ });
      await waitForLogEntry(second, "Token refresh shared by another tab");
      await screenshot(second, "11-refresh-shared-by-other-tab");

      await clickButton(first, "Log out");
      await waitForSignInHeading(first);
      await waitForInView(first, "You logged out.");

      await waitForSignInHeading(second, { timeout: 10_000 });
      await waitForInView(second, "Logged out by another tab.");
      await waitForLogEntry(second, "Logged out by another tab");
      await screenshot(second, "12-logged-out-by-other-tab");

      // And it stays that way after a reload: the server revoked the refresh cookie.
      await second.reload();
      await waitForSignInHeading(second);
      await waitForLogEntry(second, "No session to restore");
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await second?.close();
      await first.close();
    }
  });

  test(`${engine}: logout everywhere ends the session in another browser`, async () => {
    const user = await newUser("everywhere");
    const other = await launchBrowser(engine); // a second browser profile: another device
    const { page: here, errors } = await openDemo(browser, server.url);
    const { page: there } = await openDemo(other, server.url, "/posts");
    try {
      await signInWithPassword(there, user.username, user.password);
      await waitForInView(there, "Hello from the reference server");
      await signInWithPassword(here, user.username, user.password);

      await clickButton(here, "Log out everywhere");
      await waitForSignInHeading(here);
      await waitForLogEntry(here, "Logged out everywhere");

      // The other browser still holds a short-lived access token (verified from the JWT alone);
      // once it is no longer accepted, the refresh is refused and that session is over.
      await clickButton(there, "Expire my token now");
      await waitForLogEntry(there, "The server now treats your access token as expired");
      await clickButton(there, "Reload posts");
      await waitForSignInHeading(there, { timeout: 10_000 });
      await waitForInView(there, "The session ended.");
      await waitForLogEntry(there, /POST \/auth\/refresh → 401/);
      await screenshot(there, "13-session-ended-elsewhere");

      await there.reload();
      await waitForSignInHeading(there);
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await there.close();
      await here.close();
      await other.close();
    }
  });

  test(`${engine}: registration: a taken name is refused clearly, a new one signs in`, async () => {
    const taken = await newUser("taken");
    const fresh = `fresh-${Date.now().toString(36)}`;
    const { page, errors } = await openDemo(browser, server.url);
    try {
      await waitForSignInHeading(page);
      await page.fill("#register-username", taken.username);
      await page.fill("#register-password", "a long enough password");
      await clickButton(page, "Create account and sign in");
      await page.waitFor("#register-error", { text: "That username is taken" });

      await page.fill("#register-username", fresh);
      await clickButton(page, "Create account and sign in");
      await waitForSignedIn(page, fresh);
      await waitForLogEntry(page, `Account "${fresh}" created`);
      await page.waitFor("#profile", { text: fresh });
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: opened as localhost, the demo moves to the issuer's origin`, async () => {
    const { page, errors } = await openDemo(browser, server.url.replace("127.0.0.1", "localhost"), "/posts");
    try {
      await page.waitForURL(`${server.url}/posts`);
      await waitForSignInHeading(page);
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: no WCAG 2.1 A/AA violations that axe-core can find, signed out and signed in`, async () => {
    const user = await newUser("a11y");
    const { page, errors } = await openDemo(browser, server.url, "/posts");
    try {
      await waitForSignInHeading(page);
      // With a field error showing, too.
      await clickButton(page, "Sign in");
      await page.waitFor("#password-error", { text: "Enter a username and a password." });
      assert.deepEqual(await accessibilityViolations(page), [], "signed out");

      await signInWithPassword(page, user.username, user.password);
      await waitForInView(page, "Hello from the reference server");
      assert.deepEqual(await accessibilityViolations(page), [], "signed in, posts");
      await page.click("a", { text: "Profile", exact: true });
      await page.waitFor("#profile", { text: user.username });
      assert.deepEqual(await accessibilityViolations(page), [], "signed in, profile");
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });

  test(`${engine}: the layout holds on a phone-sized screen`, async () => {
    const user = await newUser("mobile");
    const { page, errors } = await openDemo(browser, server.url);
    try {
      await page.setViewport(390, 844);
      await waitForSignInHeading(page);
      await screenshot(page, "14-mobile-signed-out");
      await signInWithPassword(page, user.username, user.password);
      // Nothing wider than the viewport.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page overflows horizontally by ${overflow}px`);
      await screenshot(page, "15-mobile-signed-in");
      await clickButton(page, "Log out");
      await waitForSignInHeading(page);
      assert.deepEqual(unexpectedErrors(errors), []);
    } finally {
      await page.close();
    }
  });
});
