// authwasm/react during server-side rendering in Node, defined once and run per React version
// (react18-ssr.test.js, react19-ssr.test.js): importing it needs no window or document, and
// renderToString gives the loading state without creating a client or touching the network.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { createElement as h, version } from "react";
import { renderToString } from "react-dom/server";

const ISSUER = "https://auth.example";

/** Options that record every read, so a test can tell that no client was created from them. */
function watchedOptions() {
  const reads = [];
  const options = new Proxy({ issuer: ISSUER, clientId: "ssr" }, {
    get(target, name) {
      reads.push(String(name));
      return target[name];
    },
  });
  return { options, reads };
}

export function defineSsrSuite(major) {
  describe(`authwasm/react with React ${major}, server-side`, () => {
    test(`React ${major}: the package's React is the one under test`, () => {
      assert.match(version, new RegExp(`^${major}\\.`));
    });

    test(`React ${major}: import("authwasm/react") without window or document; 'use client' comes first`, async () => {
      assert.equal(typeof globalThis.window, "undefined");
      assert.equal(typeof globalThis.document, "undefined");
      const react = await import("authwasm/react");
      assert.deepEqual(Object.keys(react).sort(),
                       ["AuthProvider", "RequireAuth", "hasAuthParams", "useAuth", "withAuthenticationRequired"]);
      assert.equal(typeof globalThis.window, "undefined", "importing defined no window");
      const source = await readFile(new URL("../../js/react.js", import.meta.url), "utf8");
      assert.match(source, /^'use client';\n/);
    });

    test(`React ${major}: renderToString(<AuthProvider options>) renders the loading state and creates no client`, async () => {
      const { AuthProvider, RequireAuth, useAuth } = await import("authwasm/react");
      const seen = [];
      function Status() {
        const auth = useAuth();
        seen.push(auth);
        return h("p", null, auth.isLoading ? "loading" : auth.isAuthenticated ? "in" : "out");
      }
      const { options, reads } = watchedOptions();
      const html = renderToString(h(AuthProvider, { options },
        h(Status), h(RequireAuth, { fallback: h("i", null, "checking") }, h("b", null, "secret"))));
      assert.equal(html, "<p>loading</p><i>checking</i>");
      assert.equal(seen.length, 1);
      const [auth] = seen;
      assert.deepEqual({ isLoading: auth.isLoading, isAuthenticated: auth.isAuthenticated, user: auth.user,
                         error: auth.error, client: auth.client },
                       { isLoading: true, isAuthenticated: false, user: null, error: null, client: null });
      for (const name of ["login", "loginWithPassword", "logout", "getAccessToken", "fetch"]) {
        assert.equal(typeof auth[name], "function", name);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(reads, [], "createAuthClient never saw the options on the server");
    });

    test(`React ${major}: renderToString(<AuthProvider client>) renders loading for a client without a session`, async () => {
      const { AuthProvider, useAuth } = await import("authwasm/react");
      const { createAuthClient } = await import("authwasm");
      let fetches = 0;
      const client = await createAuthClient({ issuer: ISSUER, clientId: "ssr", fetch: async () => { fetches++; throw new Error("no network"); } });
      try {
        function Status() {
          const auth = useAuth();
          return h("p", null, `${auth.isLoading}/${auth.isAuthenticated}/${auth.client === client}`);
        }
        assert.equal(renderToString(h(AuthProvider, { client }, h(Status))), "<p>true/false/true</p>");
        assert.equal(fetches, 0, "no restore() on the server");
      } finally {
        client.close();
      }
    });

    test(`React ${major}: misuse is a typed error: both or neither of options and client; useAuth() outside a provider`, async () => {
      const { AuthProvider, useAuth } = await import("authwasm/react");
      const { AuthError } = await import("authwasm");
      const failsWith = (element, code) => assert.throws(() => renderToString(element),
        (e) => e instanceof AuthError && e.code === code);
      failsWith(h(AuthProvider, null, "x"), "invalid_argument");
      failsWith(h(AuthProvider, { options: { issuer: ISSUER, clientId: "a" }, client: {} }, "x"), "invalid_argument");
      failsWith(h(function Orphan() { useAuth(); return null; }), "configuration");
    });

    test(`React ${major}: hasAuthParams: code or error, with state`, async () => {
      const { hasAuthParams } = await import("authwasm/react");
      const at = (search) => hasAuthParams(new URL(`https://app.example/callback${search}`));
      assert.equal(at("?code=c&state=s"), true);
      assert.equal(at("?error=access_denied&state=s"), true);
      assert.equal(at("?code=c"), false, "no state: not a callback of ours");
      assert.equal(at("?state=s"), false);
      assert.equal(at(""), false);
      assert.equal(at("?x=1#code=c&state=s"), false, "a fragment is not the query");
    });
  });
}
