// Helpers for the cross-tab suites: the reference server with short-lived access tokens, a
// browser-profile stand-in for Node (one cookie jar shared by every "tab"), and a tiny
// in-process Web Locks implementation (Node 20 has BroadcastChannel but no navigator.locks).
import { startServer } from "../server/server-process.js";

export const CLIENT_ID = "authwasm-demo";
export const ACCESS_TTL_S = 3;

/**
 * The server as the tab suites use it: demo user, /debug/stats, 3-second access tokens.
 * `grace` defaults to 0 (strict): any refresh that races another one with the same cookie
 * revokes the session, so a double refresh cannot hide.
 */
export function startTabServer({ grace = 0, args = [] } = {}) {
  return startServer({ args: ["--demo", "--debug-stats", "--access-ttl", String(ACCESS_TTL_S),
                              "--grace", String(grace), ...args] });
}

export async function stats(server) {
  const res = await fetch(`${server.url}/debug/stats`);
  if (res.status !== 200) throw new Error(`/debug/stats answered ${res.status}`);
  return res.json();
}

/** A fetch for Node "tabs" of one profile: one cookie jar, and the Origin a browser would send. */
export function profileFetch(origin) {
  const jar = new Map();
  const profile = async (input, init) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    headers.set("origin", origin);
    if (jar.size && request.credentials !== "omit") {
      headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a) ||
                                             /^\s*expires\s*=\s*Thu, 01 Jan 1970/i.test(a));
      if (!value || expired) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  profile.jar = jar;
  return profile;
}

/**
 * navigator.locks for one process: exclusive locks by name, granted in request order.
 * `held` counts grants, so a test can check that every refresh went through it.
 */
export class InProcessLocks {
  #tails = new Map();
  #held = new Map(); // name → count of granted, unreleased requests (for query())
  granted = 0;

  async request(name, ...rest) {
    const callback = rest.at(-1);
    const options = rest.length > 1 ? rest[0] : {};
    if (options.ifAvailable && this.#tails.has(name)) return callback(null);
    // steal (Web Locks §): granted at once, whoever holds it; the queue is not waited for.
    const previous = options.steal ? Promise.resolve() : (this.#tails.get(name) ?? Promise.resolve());
    let release;
    const mine = new Promise((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(name, tail);
    await previous;
    this.granted++;
    this.#held.set(name, (this.#held.get(name) ?? 0) + 1);
    try {
      return await callback({ name, mode: "exclusive" });
    } finally {
      release();
      const left = this.#held.get(name) - 1;
      if (left > 0) this.#held.set(name, left); else this.#held.delete(name);
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    }
  }

  async query() {
    return { held: [...this.#held.keys()].map((name) => ({ name, mode: "exclusive" })), pending: [] };
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 10 ms until true; fails after `ms` (not a timed assertion: a hang guard). */
export async function waitUntil(predicate, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
