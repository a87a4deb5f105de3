// The faults suite's stack: the real reference server behind tests/support/fault-proxy.js.
// The server's issuer (and so its allowed Origin and the tokens' `iss`) is the proxy's
// origin: clients and pages talk only to the proxy, as they would to one deployed origin.
// restart() kills the server hard (SIGKILL, a crash) and starts it again on the same port and
// data directory (its SQLite store and signing key survive).
import { createAuthClient } from "authwasm";
import { startFaultProxy } from "../support/fault-proxy.js";
import { browserFetch } from "../support/browser-fetch.js";
import { PASSWORD, register, startServer } from "../server/server-process.js";

export const CLIENT_ID = "authwasm-demo";
/** Allowance on top of a deadline for timers and a loaded machine (never a speed assertion). */
export const SLACK_MS = 1500;

export async function startStack({ accessTtl = 2, args = [] } = {}) {
  const proxy = await startFaultProxy();
  const serverArgs = ["--demo", "--debug-stats", "--access-ttl", String(accessTtl), "--issuer", proxy.url,
                      "--login-burst", "1000", "--login-per-minute", "1000", ...args];
  let server = await startServer({ args: serverArgs });
  proxy.setTarget(server.url);
  const stack = {
    proxy,
    url: proxy.url,
    origin: proxy.origin,
    get server() {
      return server;
    },
    async stats() {
      const res = await fetch(`${server.url}/debug/stats`);
      if (res.status !== 200) throw new Error(`/debug/stats answered ${res.status}`);
      return res.json();
    },
    /** SIGKILL the server; resolves once it is gone. */
    async crash() {
      const { child } = server;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await gone;
      }
    },
    /** A new server process on the same port and data directory (after crash()). */
    async start() {
      server = await startServer({ args: [...serverArgs, "--port", String(server.port)], dataDir: server.dataDir });
      proxy.setTarget(server.url);
      return server;
    },
    async stop() {
      await proxy.close();
      await server.stop(); // also removes the data directory
    },
  };
  return stack;
}

/** A fresh user, registered through the proxy (the server's allowed Origin). */
export const newUser = (stack) => register({ url: stack.url, origin: stack.origin });

/**
 * A client as one browser tab in Node: a cookie jar, no other tabs, DEFAULT options except
 * what `options` sets (timeoutSeconds where the default 10 s would make the suite slow).
 */
export async function nodeTab(stack, options = {}) {
  const browser = browserFetch({ origin: stack.origin });
  const events = [];
  const auth = await createAuthClient({
    issuer: stack.url,
    clientId: CLIENT_ID,
    redirectUri: `${stack.url}/callback`,
    fetch: browser.fetch,
    channel: null,
    locks: null,
    ...options,
  });
  for (const name of ["login", "logout", "refresh", "error"]) auth.on(name, (detail) => events.push({ event: name, ...detail }));
  return { auth, browser, events, logouts: () => events.filter((e) => e.event === "logout") };
}

export async function loggedInTab(stack, options) {
  const user = await newUser(stack);
  const tab = await nodeTab(stack, options);
  await tab.auth.loginWithPassword(user.username, PASSWORD);
  return { ...tab, user };
}

/**
 * Settles `promise` and says how long it took: { ms, at, value } or { ms, at, error }
 * (`at`: performance.now() when it settled).
 */
export async function timed(promise, since = performance.now()) {
  try {
    const value = await promise;
    const at = performance.now();
    return { ms: at - since, at, value };
  } catch (error) {
    const at = performance.now();
    return { ms: at - since, at, error };
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
