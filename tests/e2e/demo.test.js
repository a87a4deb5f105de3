// End to end: the demo SPA (built by Vite, importing authwasm by package name) served by the
// real reference server, driven in Debian's Chromium. Each test uses its own user so the
// server's per-user login limiter and sessions never couple the tests.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { register } from "../server/server-process.js";
import { launchChromium } from "../support/chromium.js";
import {
  accessibilityViolations, buildDemo, claimShown, logEntries, openDemo, readableStorage, screenshot, signInHeading, signInWithPassword,
  startDemoServer, unexpectedErrors, waitForLogEntry, waitForSignedIn,
} from "./demo-harness.js";

const ACCESS_TTL = 12; // seconds; the demo counts a token as expired 5 s early (leeway)

let demo, server, browser;
before(async () => {
  demo = await buildDemo();
  server = await startDemoServer(demo.dir, { accessTtl: ACCESS_TTL });
  browser = await launchChromium();
});
// Every test starts signed out: the refresh cookie is the only state a browser keeps.
beforeEach(() => browser.context.clearCookies());
after(async () => {
  await browser?.close();
  await server?.stop();
  await demo?.cleanup();
});


const newUser = (prefix) => register(server, `${prefix}-${Date.now().toString(36)}`);

test("a wrong password shows a clear message", async () => {
  const user = await newUser("wrongpw");
  const { page, errors } = await openDemo(browser.context, server.url);
  try {
    await signInHeading(page).waitFor();
    await screenshot(page, "01-signed-out");

    await page.getByLabel("Username", { exact: true }).fill(user.username);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const alert = page.locator("#password-error");
    await alert.getByText("Wrong username or password.").waitFor();
    assert.equal(await alert.getAttribute("role"), "alert");
    // Focus goes back to the password field, which is marked invalid and emptied.
    assert.equal(await page.evaluate(() => document.activeElement?.id), "login-password");
    assert.equal(await page.getByLabel("Password", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "");
    await waitForLogEntry(page, "POST /auth/login → 401");
    await screenshot(page, "02-wrong-password");

    // And then the right one.
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForSignedIn(page, user.username);
    await waitForLogEntry(page, "Signed in with the password form");
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await page.close();
  }
});

test("login through the redirect to the server's login page", async () => {
  const user = await newUser("redirect");
  const { page, errors } = await openDemo(browser.context, server.url, "/posts");
  try {
    await signInHeading(page).waitFor();
    await page.getByRole("button", { name: "Continue to the sign-in page" }).click();
    await page.waitForURL(/\/authorize\?/);
    const authorizeUrl = new URL(page.url());
    assert.equal(authorizeUrl.searchParams.get("code_challenge_method"), "S256");
    assert.ok(authorizeUrl.searchParams.get("state"), "the request carries a state");
    await screenshot(page, "03-authorize-page");

    // A wrong password on the server's page: its own clear message, and the form again.
    await page.locator('input[name="username"]').fill(user.username);
    await page.locator('input[name="password"]').fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForLoadState("load");
    const answer = await page.locator("body").innerText();
    assert.match(answer, /Wrong username or password\./, `the server's answer to the form: ${answer.slice(0, 300)}`);
    await page.getByRole("alert").getByText("Wrong username or password.").waitFor();
    await screenshot(page, "04-authorize-wrong-password");

    await page.locator('input[name="password"]').fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    // Back in the SPA, on the view asked for before the redirect, with the URL cleaned.
    await waitForSignedIn(page, user.username);
    await page.getByRole("heading", { level: 1, name: "Posts" }).waitFor();
    await page.getByText("Hello from the reference server").waitFor();
    const back = new URL(page.url());
    assert.equal(back.pathname, "/posts");
    assert.equal(back.search, "", "code, state and iss are removed from the address bar");
    await waitForLogEntry(page, "Signed in through the redirect");
    await page.locator("#claims").getByText(user.sub).waitFor();
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

test("reload and stay logged in; a second tab is logged in too", async () => {
  const user = await newUser("reload");
  const { page, errors } = await openDemo(browser.context, server.url, "/posts");
  let second;
  try {
    await signInWithPassword(page, user.username, user.password);
    await page.getByText("Hello from the reference server").waitFor();

    // Reload: a fresh page, the session comes back through the HttpOnly cookie.
    await page.reload();
    await waitForSignedIn(page, user.username);
    await waitForLogEntry(page, "Session restored");
    await page.getByText("Hello from the reference server").waitFor();
    assert.equal(new URL(page.url()).pathname, "/posts");
    await screenshot(page, "06-after-reload");

    // A second tab of the same browser.
    ({ page: second } = await openDemo(browser.context, server.url, "/profile"));
    await waitForSignedIn(second, user.username);
    await second.locator("#profile").getByText(user.username).waitFor();
    await screenshot(second, "07-second-tab");
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await second?.close();
    await page.close();
  }
});

test("an expired token is refreshed silently and the API call succeeds", async () => {
  const user = await newUser("expiry");
  const { page, errors } = await openDemo(browser.context, server.url, "/posts");
  try {
    await signInWithPassword(page, user.username, user.password);
    await page.getByText("Hello from the reference server").waitFor();
    await page.locator("#refresh-count", { hasText: "0" }).waitFor();

    // 1. The server says the token expired before the client thinks so: 401 → refresh → retry.
    await page.getByRole("button", { name: "Expire my token now" }).click();
    await waitForLogEntry(page, "The server now treats your access token as expired");
    await page.getByRole("button", { name: "Reload posts" }).click();
    await page.locator("#posts-status", { hasText: /Loaded 3 posts .*after a silent token refresh/ }).waitFor();
    await waitForLogEntry(page, "GET /api/posts → 401");
    await waitForLogEntry(page, "Silent refresh");
    await waitForLogEntry(page, /GET \/api\/posts → 200 \(retry\)/);
    await page.locator("#refresh-count", { hasText: "1" }).waitFor();
    await screenshot(page, "08-refresh-after-401");

    // 2. The token's own lifetime runs out: the next call gets a fresh token first.
    const exp = await claimShown(page, "exp");
    await page.waitForFunction((e) => Date.now() / 1000 > e + 1, exp, { timeout: (ACCESS_TTL + 5) * 1000, polling: 500 });
    await page.locator("#countdown", { hasText: "expired" }).waitFor();
    await screenshot(page, "09-token-expired");
    await page.getByRole("button", { name: "Reload posts" }).click();
    await page.locator("#posts-status", { hasText: /Loaded 3 posts .*after a silent token refresh/ }).waitFor();
    await page.locator("#refresh-count", { hasText: "2" }).waitFor();
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

test("logout in one tab logs out the other", async () => {
  const user = await newUser("tabs");
  const { page: first, errors } = await openDemo(browser.context, server.url);
  let second;
  try {
    await signInWithPassword(first, user.username, user.password);
    ({ page: second } = await openDemo(browser.context, server.url));
    await waitForSignedIn(second, user.username);

    // A refresh in one tab is shared with the other over BroadcastChannel.
    await first.getByRole("button", { name: "Expire my token now" }).click();
    await waitForLogEntry(first, "The server now treats your access token as expired");
    await first.getByRole("link", { name: "Posts", exact: true }).click();
    await first.locator("#posts-status", { hasText: /after a silent token refresh/ }).waitFor();
    await waitForLogEntry(second, "Token refresh shared by another tab");
    await screenshot(second, "11-refresh-shared-by-other-tab");

    await first.getByRole("button", { name: "Log out", exact: true }).click();
    await signInHeading(first).waitFor();
    await first.getByText("You logged out.").waitFor();

    await signInHeading(second).waitFor({ timeout: 10_000 });
    await second.getByText("Logged out by another tab.").waitFor();
    await waitForLogEntry(second, "Logged out by another tab");
    await screenshot(second, "12-logged-out-by-other-tab");

    // And it stays that way after a reload: the server revoked the refresh cookie.
    await second.reload();
    await signInHeading(second).waitFor();
    await waitForLogEntry(second, "No session to restore");
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await second?.close();
    await first.close();
  }
});

test("logout everywhere ends the session in another browser", async () => {
  const user = await newUser("everywhere");
  const other = await launchChromium(); // a second browser profile: another device
  const { page: here, errors } = await openDemo(browser.context, server.url);
  const { page: there } = await openDemo(other.context, server.url, "/posts");
  try {
    await signInWithPassword(there, user.username, user.password);
    await there.getByText("Hello from the reference server").waitFor();
    await signInWithPassword(here, user.username, user.password);

    await here.getByRole("button", { name: "Log out everywhere" }).click();
    await signInHeading(here).waitFor();
    await waitForLogEntry(here, "Logged out everywhere");

    // The other browser still holds a short-lived access token (verified from the JWT alone);
    // once it is no longer accepted, the refresh is refused and that session is over.
    await there.getByRole("button", { name: "Expire my token now" }).click();
    await waitForLogEntry(there, "The server now treats your access token as expired");
    await there.getByRole("button", { name: "Reload posts" }).click();
    await signInHeading(there).waitFor({ timeout: 10_000 });
    await there.getByText("The session ended.").waitFor();
    await waitForLogEntry(there, /POST \/auth\/refresh → 401/);
    await screenshot(there, "13-session-ended-elsewhere");

    await there.reload();
    await signInHeading(there).waitFor();
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await there.close();
    await here.close();
    await other.close();
  }
});

test("registration: a taken name is refused clearly, a new one signs in", async () => {
  const taken = await newUser("taken");
  const fresh = `fresh-${Date.now().toString(36)}`;
  const { page, errors } = await openDemo(browser.context, server.url);
  try {
    await signInHeading(page).waitFor();
    await page.getByLabel("New username").fill(taken.username);
    await page.getByLabel("New password").fill("a long enough password");
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await page.locator("#register-error", { hasText: "That username is taken" }).waitFor();

    await page.getByLabel("New username").fill(fresh);
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await waitForSignedIn(page, fresh);
    await waitForLogEntry(page, `Account "${fresh}" created`);
    await page.locator("#profile").getByText(fresh).waitFor();
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await page.close();
  }
});

test("opened as localhost, the demo moves to the issuer's origin", async () => {
  const { page, errors } = await openDemo(browser.context, server.url.replace("127.0.0.1", "localhost"), "/posts");
  try {
    await page.waitForURL(`${server.url}/posts`);
    await signInHeading(page).waitFor();
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await page.close();
  }
});

test("no WCAG 2.1 A/AA violations that axe-core can find, signed out and signed in", async () => {
  const user = await newUser("a11y");
  const { page, errors } = await openDemo(browser.context, server.url, "/posts");
  try {
    await signInHeading(page).waitFor();
    // With a field error showing, too.
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("#password-error", { hasText: "Enter a username and a password." }).waitFor();
    assert.deepEqual(await accessibilityViolations(page), [], "signed out");

    await signInWithPassword(page, user.username, user.password);
    await page.getByText("Hello from the reference server").waitFor();
    assert.deepEqual(await accessibilityViolations(page), [], "signed in, posts");
    await page.getByRole("link", { name: "Profile", exact: true }).click();
    await page.locator("#profile").getByText(user.username).waitFor();
    assert.deepEqual(await accessibilityViolations(page), [], "signed in, profile");
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await page.close();
  }
});

test("the layout holds on a phone-sized screen", async () => {
  const user = await newUser("mobile");
  const { page, errors } = await openDemo(browser.context, server.url);
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    await signInHeading(page).waitFor();
    await screenshot(page, "14-mobile-signed-out");
    await signInWithPassword(page, user.username, user.password);
    // Nothing wider than the viewport.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page overflows horizontally by ${overflow}px`);
    await screenshot(page, "15-mobile-signed-in");
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await signInHeading(page).waitFor();
    assert.deepEqual(unexpectedErrors(errors), []);
  } finally {
    await page.close();
  }
});
