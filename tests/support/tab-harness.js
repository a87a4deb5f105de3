// What every test tab records and exposes (tests/tabs/page, tests/faults/page): the client's
// events in window.events, its status line, window.auth, and window.ready once restore() has
// settled (a failed restore is recorded as a "restore-failed" event, as the tests expect).
// assembleSite() serves this file beside the page as /tab-harness.js.

/** Starts recording `auth`; answers ready(), to call once the page has set up its own parts. */
export function recordTab(auth) {
  const status = document.getElementById("status");
  const render = () => (status.textContent = auth.user ? `signed in as ${auth.user.sub}` : "signed out");
  window.events = [];
  window.auth = auth;
  for (const name of ["login", "logout", "refresh", "error"]) {
    auth.on(name, (detail) => {
      window.events.push({ event: name, at: Date.now(), reason: detail.reason, source: detail.source,
                           error: detail.error?.code });
      render();
    });
  }
  return async function ready() {
    await auth.restore().catch((error) => window.events.push({ event: "restore-failed", error: error.code }));
    render();
    window.ready = true;
  };
}
