// The authwasm demo: one page that signs in (PKCE redirect or password), calls protected APIs
// with auth.fetch, and shows what the library does — silent refresh, retry, cross-tab sync.
import { createAuthClient } from "authwasm";
import { dpop } from "authwasm/dpop";
import { formatDuration, h } from "./dom.js";
import { callbackPath, dpopEnabled, dpopSwitch, withDpopQuery } from "./dpop.js";
import { createEventLog, errorHint, explainEvents, logoutNotice } from "./log.js";
import { createTracer } from "./trace.js";
import "./style.css";

const CLIENT_ID = "authwasm-demo";
// authwasm counts a token as expired this many seconds early. The demo keeps it short so the
// countdown and the refresh line up; the library's default is 30 s.
const LEEWAY_SECONDS = 5;

const $ = (id) => document.getElementById(id);
const showHttp = $("show-http");
const log = createEventLog($("log"), { showHttp: () => showHttp.checked });
const tracer = createTracer(log);
showHttp.addEventListener("change", () => log.setHttpVisible(showHttp.checked));
$("clear-log").addEventListener("click", () => log.clear());

const app = {
  auth: null,
  profile: null,      // { sub, username } from /auth/me
  posts: null,        // { viewer, posts } from /api/posts
  postsStatus: "",
  notice: null,       // { kind: "info" | "error", text } shown on the sign-in view
  fatal: null,
};

// ------------------------------------------------------------------ routing

const VIEWS = { "/": "profile", "/profile": "profile", "/posts": "posts" };
const currentView = () => VIEWS[location.pathname] ?? "profile";

function navigate(path) {
  if (path !== location.pathname) history.pushState(null, "", withDpopQuery(path));
  render({ focus: true });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(new URL(link.href).pathname);
});
window.addEventListener("popstate", () => render({ focus: true }));

// ------------------------------------------------------------------ rendering

function render({ focus = false } = {}) {
  const signedIn = Boolean(app.auth?.isAuthenticated);
  document.body.dataset.state = app.fatal ? "error" : signedIn ? "signed-in" : "signed-out";
  renderHeader(signedIn);
  renderSession(signedIn);
  let view;
  if (app.fatal) view = fatalView();
  else if (!signedIn) view = signInView();
  else view = currentView() === "posts" ? postsView() : profileView();
  $("main").replaceChildren(view);
  if (focus) (view.querySelector("h1") ?? $("main")).focus();
  if (signedIn && currentView() === "posts" && !app.posts && !app.postsLoading) loadPosts();
}

function renderHeader(signedIn) {
  const nav = $("nav");
  nav.hidden = !signedIn;
  for (const link of nav.querySelectorAll("a")) {
    const active = VIEWS[new URL(link.href).pathname] === currentView();
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const who = $("whoami");
  who.hidden = !signedIn;
  who.textContent = signedIn ? `Signed in as ${displayName()}` : "";
}

const displayName = () => app.profile?.username ?? app.auth?.user?.sub ?? "…";

function fatalView() {
  return h("section", { class: "view", "aria-labelledby": "view-title" },
    h("h1", { id: "view-title", tabindex: "-1" }, "The demo could not start"),
    h("p", { class: "alert alert-error", role: "alert" }, app.fatal),
    h("p", {}, "Run ", h("code", {}, "npm start"), " from the repository and open the URL it prints."));
}

function signInView() {
  const notice = app.notice
    ? h("p", { class: `alert alert-${app.notice.kind}`, role: app.notice.kind === "error" ? "alert" : "status" }, app.notice.text)
    : null;
  return h("section", { class: "view", "aria-labelledby": "view-title" },
    h("h1", { id: "view-title", tabindex: "-1" }, "Sign in"),
    h("p", { class: "lead" },
      "authwasm keeps the access token in WebAssembly memory and the refresh token in an HttpOnly cookie, ",
      "so no script — yours or an injected one — can read either from storage. Sign in, then watch the event log, “What authwasm did”."),
    notice,
    dpopSwitch(),
    h("p", { class: "hint" }, "Demo account: ", h("strong", {}, "demo"), " / ", h("strong", {}, "demo-password")),
    h("div", { class: "signin-grid" }, redirectCard(), passwordCard(), registerCard()));
}

function redirectCard() {
  const button = h("button", { type: "button", class: "btn btn-primary" }, "Continue to the sign-in page");
  button.addEventListener("click", async () => {
    setBusy(button, true, "Redirecting…");
    try {
      // returnTo: come back to the view the user asked for.
      await app.auth.login({ returnTo: withDpopQuery(location.pathname === "/" ? "/profile" : location.pathname) });
    } catch (error) {
      setBusy(button, false);
      app.notice = { kind: "error", text: `Could not start the redirect: ${error.message}` };
      render();
    }
  });
  return h("article", { class: "card option", "aria-labelledby": "redirect-title" },
    h("h2", { id: "redirect-title" }, "Authorization server"),
    h("p", {}, "The standard way: a redirect to the server's login page with PKCE (S256), state and nonce. ",
      "The code that comes back is useless without this tab's verifier."),
    button);
}

function passwordCard() {
  const error = h("p", { id: "password-error", class: "field-error", role: "alert" });
  const form = h("form", { class: "form", "aria-labelledby": "password-title", novalidate: true },
    field("login-username", "Username", { name: "username", autocomplete: "username", required: true }),
    field("login-password", "Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { username, password } = Object.fromEntries(new FormData(form));
    error.textContent = "";
    if (!username || !password) {
      error.textContent = "Enter a username and a password.";
      form.querySelector(username ? "#login-password" : "#login-username").focus();
      return;
    }
    const button = form.querySelector("button");
    setBusy(button, true, "Signing in…");
    try {
      await app.auth.loginWithPassword(username, password);
      app.notice = null;
      await afterLogin();
    } catch (e) {
      setBusy(button, false);
      error.textContent = loginErrorMessage(e);
      const input = form.querySelector("#login-password");
      input.value = "";
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  });
  return h("article", { class: "card option" },
    h("h2", { id: "password-title" }, "Password, on this page"),
    h("p", {}, "First-party login with ", h("code", {}, "auth.loginWithPassword()"), "."),
    form);
}

function registerCard() {
  const message = h("p", { id: "register-error", class: "field-error", role: "alert" });
  const form = h("form", { class: "form", "aria-labelledby": "register-title", novalidate: true },
    field("register-username", "New username", {
      name: "username", autocomplete: "username", required: true, maxlength: 64, pattern: "[A-Za-z0-9._@+\\-]{1,64}",
      "aria-describedby": "register-username-help",
    }, "Letters, digits and . _ @ + -"),
    field("register-password", "New password", {
      name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 8,
      "aria-describedby": "register-password-help",
    }, "At least 8 characters."),
    message,
    h("button", { type: "submit", class: "btn" }, "Create account and sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const { username, password } = Object.fromEntries(new FormData(form));
    if (!/^[A-Za-z0-9._@+-]{1,64}$/.test(username)) {
      message.textContent = "Choose a username of letters, digits and . _ @ + - (at most 64).";
      return form.querySelector("#register-username").focus();
    }
    if (password.length < 8) {
      message.textContent = "The password needs at least 8 characters.";
      return form.querySelector("#register-password").focus();
    }
    const button = form.querySelector("button");
    setBusy(button, true, "Creating…");
    try {
      // Registration is plain fetch: it is not an authwasm call, only the login after it is.
      const res = await fetch("/auth/register", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
      });
      if (res.status !== 201) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.error === "username_taken" ? "That username is taken; choose another."
          : body.error_description ?? `Registration failed (HTTP ${res.status}).`);
      }
      log.add({ kind: "info", title: `Account "${username}" created`,
        detail: "POST /auth/register (plain fetch). The server stores only an argon2id hash of the password. Now signing in." });
      await app.auth.loginWithPassword(username, password);
      app.notice = null;
      await afterLogin();
    } catch (e) {
      setBusy(button, false);
      message.textContent = e.code ? loginErrorMessage(e) : e.message;
    }
  });
  return h("article", { class: "card option" },
    h("h2", { id: "register-title" }, "New here?"),
    h("p", {}, "Create an account, then sign in with it."),
    form);
}

function field(id, label, attrs, help) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, type: "text", spellcheck: "false", autocapitalize: "off", ...attrs }),
    help ? h("p", { id: `${id}-help`, class: "help" }, help) : null);
}

function loginErrorMessage(error) {
  switch (error?.code) {
    case "invalid_grant": return "Wrong username or password.";
    case "network": return "Could not reach the server. Is it still running?";
    case "invalid_argument": return "Enter a username and a password.";
    default:
      if (/too.many|429/i.test(`${error?.message} ${error?.cause?.status ?? ""}`)) {
        return "Too many attempts. Wait a minute and try again.";
      }
      return `Sign-in failed: ${error?.message ?? error}`;
  }
}

function setBusy(button, busy, label) {
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = label;
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
  button.disabled = busy;
  button.setAttribute("aria-busy", String(busy));
}

function profileView() {
  const p = app.profile;
  const reload = h("button", { type: "button", class: "btn", onclick: () => loadProfile(true) }, "Reload profile");
  return h("section", { class: "view", "aria-labelledby": "view-title" },
    h("h1", { id: "view-title", tabindex: "-1" }, "Profile"),
    h("p", { class: "lead" }, "From ", h("code", {}, "GET /auth/me"), " through ", h("code", {}, "auth.fetch()"),
      ": authwasm adds the Bearer token; this page's code never touches it."),
    p
      ? h("dl", { class: "kv card", id: "profile" },
          h("dt", {}, "Username"), h("dd", {}, p.username ?? "—"),
          h("dt", {}, "Subject (sub)"), h("dd", {}, h("code", {}, p.sub ?? "—")))
      : h("p", { role: "status" }, app.profileError ?? "Loading…"),
    h("div", { class: "actions" }, reload,
      h("a", { href: "/posts", "data-link": true, class: "btn btn-quiet" }, "See the posts →")));
}

function postsView() {
  const reload = h("button", { type: "button", class: "btn btn-primary", id: "reload-posts", onclick: () => loadPosts() },
    app.postsLoading ? "Loading…" : "Reload posts");
  if (app.postsLoading) reload.disabled = true;
  const items = app.posts?.posts ?? [];
  return h("section", { class: "view", "aria-labelledby": "view-title" },
    h("h1", { id: "view-title", tabindex: "-1" }, "Posts"),
    h("p", { class: "lead" }, h("code", {}, "GET /api/posts"),
      " is verified from the JWT alone. Press “Expire my token now”, then reload: the server answers 401, authwasm refreshes once and retries, and this list still loads."),
    h("div", { class: "actions" }, reload,
      h("p", { id: "posts-status", class: `status ${app.postsError ? "status-error" : ""}`, role: "status" }, app.postsStatus)),
    items.length
      ? h("ul", { class: "posts", "aria-label": "Posts" },
          items.map((post) => h("li", { class: "card post" }, h("h2", {}, post.title), h("p", {}, post.body))))
      : null);
}

// ------------------------------------------------------------------ the session panel

function renderSession(signedIn) {
  const panel = $("session");
  const title = h("h2", { id: "session-title" }, "Session");
  if (!signedIn) {
    panel.replaceChildren(title, h("p", { class: "muted" },
      "No one is signed in here. Once someone is, the access token lives only in this tab's wasm memory and the refresh token only in an HttpOnly cookie."));
    return;
  }
  const s = app.auth.session();
  const claims = s.accessTokenClaims ?? {};
  panel.replaceChildren(
    title,
    h("dl", { class: "kv" },
      h("dt", {}, "Who"), h("dd", { id: "session-user" }, displayName()),
      h("dt", {}, "Access token expires in"),
      h("dd", {},
        h("span", { id: "countdown", class: "countdown" }, "—"),
        h("progress", { id: "countdown-bar", max: 1, value: 0, "aria-label": "Access token lifetime left" }),
        h("span", { id: "countdown-note", class: "help countdown-note" })),
      h("dt", {}, "Refreshes"), h("dd", { id: "refresh-count" }, String(s.refreshCount ?? 0))),
    h("details", { class: "claims", open: true },
      h("summary", {}, "Access token claims"),
      h("p", { class: "help" }, "Decoded by the wasm core. The token itself is never shown, stored or logged."),
      h("dl", { class: "kv kv-claims", id: "claims" },
        Object.entries(claims).map(([name, value]) => [h("dt", {}, name), h("dd", {}, formatClaim(name, value))]))),
    h("div", { class: "actions actions-stack" },
      h("button", { type: "button", class: "btn", id: "expire-token", onclick: expireToken }, "Expire my token now"),
      h("button", { type: "button", class: "btn", id: "logout", onclick: () => logout(false) }, "Log out"),
      h("button", { type: "button", class: "btn btn-danger", id: "logout-everywhere", onclick: () => logout(true) }, "Log out everywhere")),
  );
  tick();
}

function formatClaim(name, value) {
  if (["exp", "iat", "nbf", "auth_time"].includes(name) && typeof value === "number") {
    return `${value} (${new Date(value * 1000).toLocaleTimeString([], { hour12: false })})`;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

// The countdown: session().expiresIn is measured by authwasm on the monotonic clock.
function tick() {
  if (!app.auth?.isAuthenticated) return;
  const s = app.auth.session();
  const countdown = $("countdown");
  if (!countdown) return;
  const claims = s.accessTokenClaims ?? {};
  const lifetime = typeof claims.exp === "number" && typeof claims.iat === "number" ? claims.exp - claims.iat : null;
  let note = "";
  if (s.expiresIn === null || s.expiresIn === undefined) {
    countdown.textContent = "—";
  } else if (s.expiresIn <= 0) {
    countdown.textContent = "expired";
    note = "The next API call refreshes first.";
  } else {
    countdown.textContent = formatDuration(s.expiresIn);
    if (s.expiresIn <= LEEWAY_SECONDS) note = `Within the ${LEEWAY_SECONDS} s leeway: the next API call refreshes first.`;
  }
  $("countdown-note").textContent = note;
  countdown.classList.toggle("countdown-low", s.expiresIn !== null && s.expiresIn <= LEEWAY_SECONDS);
  const bar = $("countdown-bar");
  if (lifetime) bar.value = Math.max(0, Math.min(1, (s.expiresIn ?? 0) / lifetime));
  $("refresh-count").textContent = String(s.refreshCount ?? 0);
}
setInterval(tick, 1000);

// ------------------------------------------------------------------ actions

async function afterLogin() {
  app.notice = null;
  app.posts = null;
  app.postsStatus = "";
  render({ focus: true });
  await loadProfile(false);
}

async function loadProfile(announce) {
  try {
    const res = await app.auth.fetch("/auth/me");
    if (!res.ok) throw new Error(`GET /auth/me answered ${res.status}`);
    app.profile = await res.json();
    app.profileError = null;
    if (announce) log.add({ kind: "info", title: `Profile loaded: ${app.profile.username}` });
  } catch (error) {
    app.profileError = `Could not load the profile: ${error.message}`;
  }
  if (app.auth.isAuthenticated) render();
}

async function loadPosts() {
  app.postsLoading = true;
  app.postsError = false;
  app.postsStatus = "Loading…";
  render();
  const before = app.auth.session().refreshCount ?? 0;
  try {
    const res = await app.auth.fetch("/api/posts");
    if (!res.ok) throw new Error(`GET /api/posts answered ${res.status}`);
    app.posts = await res.json();
    const refreshed = (app.auth.session().refreshCount ?? 0) > before;
    app.postsStatus = `Loaded ${app.posts.posts.length} posts at ${new Date().toLocaleTimeString([], { hour12: false })}` +
      (refreshed ? " — after a silent token refresh." : ".");
  } catch (error) {
    app.postsError = true;
    app.postsStatus = error.code ? `${error.code}: ${error.message}` : error.message;
  } finally {
    app.postsLoading = false;
  }
  render();
}

async function expireToken() {
  const button = $("expire-token");
  setBusy(button, true, "Expiring…");
  try {
    // The server (in --demo mode) now answers 401 "expired" for the token this request carries.
    const res = await app.auth.fetch("/demo/expire-token", { method: "POST" });
    if (res.status !== 204) throw new Error(`the server answered ${res.status} (is it running with --demo?)`);
    log.add({ kind: "info", title: "The server now treats your access token as expired",
      detail: "authwasm cannot know yet: the token's exp is still in the future. The next API call will get a 401; watch authwasm refresh silently and retry. Try “Reload posts”." });
  } catch (error) {
    log.add({ kind: "error", title: `Could not expire the token: ${error.message}` });
  } finally {
    if (button.isConnected) setBusy(button, false);
  }
}

async function logout(everywhere) {
  const button = $(everywhere ? "logout-everywhere" : "logout");
  setBusy(button, true, everywhere ? "Logging out everywhere…" : "Logging out…");
  app.loggingOut = everywhere ? "everywhere" : "user";
  try {
    await app.auth.logout({ everywhere });
  } catch (error) {
    log.add({ kind: "error", title: `Logout: ${error.code ?? "error"}: ${error.message}`, detail: errorHint(error.code) });
  } finally {
    app.loggingOut = null;
  }
  // The logout event normally re-renders; this covers a call that failed before emitting it.
  if (!app.auth.isAuthenticated && document.body.dataset.state === "signed-in") signedOut(everywhere ? "everywhere" : "user");
  else if (button.isConnected) setBusy(button, false);
}

function signedOut(reason) {
  app.profile = null;
  app.posts = null;
  app.postsStatus = "";
  // Only a session the server ended is news the user must act on; the rest is information.
  app.notice = { kind: reason === "session_expired" ? "error" : "info", text: logoutNotice(reason) };
  render({ focus: true });
}

// ------------------------------------------------------------------ start

async function discoverIssuer() {
  const res = await fetch("/.well-known/openid-configuration", { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`GET /.well-known/openid-configuration answered ${res.status}`);
  const { issuer } = await res.json();
  if (typeof issuer !== "string") throw new Error("the discovery document has no issuer");
  return issuer;
}

async function start() {
  let issuer;
  try {
    issuer = await discoverIssuer();
  } catch (error) {
    app.fatal = `The auth server did not answer: ${error.message}.`;
    return render({ focus: true });
  }
  // The server signs tokens for one issuer URL; open the demo on that origin (e.g. 127.0.0.1
  // rather than localhost) so the issuer, the cookie and the redirect URI all line up.
  const issuerOrigin = new URL(issuer).origin;
  if (issuerOrigin !== location.origin) {
    location.replace(new URL(location.pathname + location.search, issuerOrigin));
    return;
  }

  try {
    app.auth = await createAuthClient({
      issuer,
      clientId: CLIENT_ID,
      redirectUri: `${issuerOrigin}${callbackPath()}`,
      scope: "openid profile",
      refresh: "cookie",
      leewaySeconds: LEEWAY_SECONDS,
      dpop: dpopEnabled() && dpop, // opt-in by import: its own build of the core
      fetch: tracer.fetch,
    });
  } catch (error) {
    app.fatal = `authwasm did not start: ${error.code ?? "error"}: ${error.message}`;
    return render({ focus: true });
  }

  // A logout this tab asked for is "user" or "everywhere", whatever the event says.
  const reasonOf = (reason) => (reason === "user" && app.loggingOut ? app.loggingOut : reason);
  explainEvents(app.auth, log, { reasonOf });
  app.auth.on("login", ({ source }) => {
    // Logins started here call afterLogin themselves; one from another tab, after start-up,
    // changes this tab from signed out to signed in.
    if (source === "other_tab" && app.started) afterLogin();
  });
  app.auth.on("refresh", () => render());
  app.auth.on("logout", ({ reason }) => signedOut(reasonOf(reason)));

  if (location.pathname === callbackPath()) {
    try {
      const { returnTo } = await app.auth.handleRedirectCallback();
      const target = returnTo && VIEWS[new URL(returnTo, location.origin).pathname] ? returnTo : withDpopQuery("/profile");
      history.replaceState(null, "", target);
      app.started = true;
      return afterLogin();
    } catch (error) {
      history.replaceState(null, "", withDpopQuery("/"));
      app.started = true;
      app.notice = { kind: "error", text: `Sign-in did not complete (${error.code ?? "error"}): ${errorHint(error.code) ?? error.message}` };
      return render({ focus: true });
    }
  }

  try {
    const user = await app.auth.restore();
    if (!user) log.add({ kind: "info", title: "No session to restore",
      detail: "On load authwasm tried one silent refresh; there was no valid refresh cookie, so this tab starts signed out." });
  } catch (error) {
    log.add({ kind: "error", title: `Restore failed: ${error.code ?? "error"}: ${error.message}`, detail: errorHint(error.code) });
  }
  app.started = true;
  if (app.auth.isAuthenticated) return afterLogin();
  render();
}

start();
