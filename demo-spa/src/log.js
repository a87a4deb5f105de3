// The event log: what authwasm did, and why, in the order it happened (newest first).
// The list sits in a role="log" polite live region, so additions are announced; it stays a
// list (role="log" on the <ol> itself would take its list semantics away).
import { clock, h } from "./dom.js";

const MAX_ENTRIES = 200;

/**
 * kind: "login" | "refresh" | "logout" | "error" | "info" | "http"
 * title: one line; detail: the explanation (optional).
 */
export function createEventLog(list, { showHttp }) {
  function add({ kind, title, detail }) {
    const item = h("li", { class: `entry entry-${kind}`, "data-kind": kind },
      h("div", { class: "entry-head" },
        h("span", { class: "badge" }, kind === "http" ? "HTTP" : kind),
        h("time", { datetime: new Date().toISOString() }, clock()),
      ),
      h("p", { class: "entry-title" }, title),
      detail ? h("p", { class: "entry-detail" }, detail) : null,
    );
    if (kind === "http" && !showHttp()) item.hidden = true;
    list.prepend(item);
    while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
    return item;
  }
  return {
    add,
    clear: () => list.replaceChildren(),
    setHttpVisible(visible) {
      for (const item of list.querySelectorAll('[data-kind="http"]')) item.hidden = !visible;
    },
  };
}

const LOGIN_SOURCES = {
  redirect: ["Signed in through the redirect",
    "authwasm checked the callback's state and iss, sent the authorization code with its PKCE verifier to /token, checked the ID token, and removed code and state from the address bar."],
  password: ["Signed in with the password form",
    "First-party login: POST /auth/login. The refresh token came back as an HttpOnly cookie that no script can read; the access token stays in wasm memory."],
  restore: ["Session restored after the page loaded",
    "One silent refresh with the HttpOnly cookie. Nothing was read from localStorage or sessionStorage: no token is ever stored there."],
  other_tab: ["Signed in because another tab did",
    "The other tab announced its login over BroadcastChannel; this tab picked up the session without asking for a password."],
};

const LOGOUT_REASONS = {
  user: ["You logged out",
    "authwasm called /auth/logout (the server revoked this session's refresh tokens and cleared the cookie), wiped the access token from wasm memory, and told the other tabs."],
  other_tab: ["Logged out by another tab",
    "Another tab of this browser logged out and said so over BroadcastChannel; this tab wiped its token too."],
  everywhere: ["Logged out everywhere",
    "POST /auth/logout-all revoked every session of this user, on every device. Other browsers lose their session at their next refresh."],
  session_expired: ["The session ended",
    "The server refused the refresh cookie: it expired, was revoked (for example by “log out everywhere” elsewhere) or was reused. authwasm did not retry: a refused refresh is final."],
};

const NOTICES = {
  user: "You logged out.",
  everywhere: "You logged out everywhere: every session of this account, on every device, is over.",
  other_tab: "Logged out by another tab. Tabs of one browser share one session.",
  session_expired: "The session ended. The server refused to renew it (it was revoked, for example by “log out everywhere” elsewhere, or it expired). Sign in again.",
};
export const logoutNotice = (reason) => NOTICES[reason] ?? `Logged out (${reason}).`;

/** Subscribes to every event the client emits and explains it. */
export function explainEvents(auth, log, { reasonOf = (reason) => reason } = {}) {
  auth.on("login", ({ user, source }) => {
    const [title, detail] = LOGIN_SOURCES[source] ?? [`Signed in (${source})`, ""];
    log.add({ kind: "login", title: `${title} — sub ${user?.sub ?? "?"}`, detail });
  });
  auth.on("refresh", ({ expiresIn, source }) => {
    const life = `The new access token is valid for ${Math.round(expiresIn)} s.`;
    if (source === "other_tab") {
      log.add({ kind: "refresh", title: "Token refresh shared by another tab",
        detail: `Another tab held the Web Lock, refreshed, and sent the result over BroadcastChannel, so this tab made no request of its own. ${life}` });
    } else {
      log.add({ kind: "refresh", title: "Silent refresh",
        detail: `authwasm sent POST /auth/refresh; the browser attached the HttpOnly cookie, the server rotated it and answered with a new access token. No page reload, no password. ${life}` });
    }
  });
  auth.on("logout", ({ reason: given }) => {
    const reason = reasonOf(given);
    const [title, detail] = LOGOUT_REASONS[reason] ?? [`Logged out (${reason})`, ""];
    log.add({ kind: "logout", title, detail });
  });
  auth.on("error", ({ error }) => {
    log.add({ kind: "error", title: `${error?.code ?? "error"}: ${error?.message ?? String(error)}`,
      detail: ERROR_HINTS[error?.code] });
  });
}

const ERROR_HINTS = {
  invalid_grant: "The server refused the code or the refresh token: that session is over.",
  network: "The request did not reach the server (offline, or the server stopped). The session is kept.",
  state_mismatch: "The callback did not match a sign-in this tab started (or it was used already), so it was rejected.",
  iss_mismatch: "The callback claimed to come from another issuer (a mix-up attack), so it was rejected.",
  login_required: "The server has no login session for a silent sign-in.",
  access_denied: "The sign-in was refused.",
  invalid_response: "The server's answer was not what the protocol requires, so authwasm refused it.",
  invalid_id_token: "The ID token failed a claim check (issuer, audience, expiry, nonce…).",
  server_error: "The server failed; nothing was changed.",
};
export const errorHint = (code) => ERROR_HINTS[code];
