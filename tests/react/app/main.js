// The test app of tests/react: authwasm/react under <StrictMode>, built by Vite against React
// 18 or 19 (tests/react/harness.js). No JSX, like js/react.js. It shows its state in the DOM
// and leaves probes on window.probe for the test to read.
import { StrictMode, createElement as h, useEffect, useState, version } from "react";
import { createRoot } from "react-dom/client";
import { createAuthClient } from "authwasm";
import { AuthProvider, useAuth, withAuthenticationRequired } from "authwasm/react";

const options = { issuer: location.origin, clientId: "authwasm-demo", redirectUri: `${location.origin}/callback` };
// "options": <AuthProvider options>; "client": <AuthProvider client> with an app-made client.
// Kept for the tab, so the callback page after a redirect runs in the same mode.
const mode = new URLSearchParams(location.search).get("mode") ?? sessionStorage.getItem("mode") ?? "options";
sessionStorage.setItem("mode", mode);

const probe = (window.probe = { reactVersion: version, effectRuns: 0, clients: new Set(), redirects: [], auth: null,
                                unmount: null, channels: 0 });

// Each client opens its BroadcastChannel "authwasm:<clientId>" (js/index.d.ts): counting them
// counts the clients made, also those StrictMode would have made and thrown away.
window.BroadcastChannel = class extends BroadcastChannel {
  constructor(name) {
    super(name);
    if (String(name).startsWith("authwasm:")) probe.channels++;
  }
};

function Status() {
  const auth = useAuth();
  probe.auth = auth;
  if (auth.client) probe.clients.add(auth.client);
  useEffect(() => {
    probe.effectRuns++; // 2 on mount under StrictMode (development build)
  }, []);
  const status = auth.isLoading ? "loading" : auth.isAuthenticated ? `signed in as ${auth.user.sub}` : "signed out";
  return h("section", null,
    h("p", { id: "status" }, status),
    h("p", { id: "error" }, auth.error ? auth.error.code : ""),
    h("button", { id: "logout", onClick: () => auth.logout() }, "Log out"));
}

const Secret = withAuthenticationRequired(() => h("p", { id: "secret" }, "secret content"), {
  fallback: h("p", { id: "guard" }, "checking"),
  onError: (error) => h("p", { id: "guard-error" }, error.code),
});

function App({ client }) {
  const [path, setPath] = useState(location.pathname);
  probe.navigate = (to) => { // a client-side route change, as a router would make
    history.pushState(null, "", to);
    setPath(to);
  };
  const onRedirectCallback = (returnTo) => {
    probe.redirects.push(returnTo);
    history.replaceState(null, "", returnTo);
    setPath(new URL(returnTo, location.href).pathname);
  };
  const source = client ? { client } : { options };
  return h(AuthProvider, { ...source, onRedirectCallback },
    h(Status),
    path === "/protected" ? h(Secret) : null);
}

function Root({ client }) {
  const [mounted, setMounted] = useState(true);
  probe.unmount = () => setMounted(false);
  return mounted ? h(App, { client }) : h("p", { id: "unmounted" }, "unmounted");
}

const client = mode === "client" ? await createAuthClient(options) : null;
probe.ownClient = client;
createRoot(document.getElementById("root")).render(h(StrictMode, null, h(Root, { client })));
