// DPoP figures (issue 12), printed side by side and never asserted:
//  1. the cost of one DPoP proof in Node, no network (a stub fetch answers at once):
//     - WebCrypto ECDSA P-256 sign alone (the floor every implementation pays);
//     - authwasm: auth.fetch with DPoP (authwasm/dpop) against without — the difference is the proof
//       (the core builds the signing input, WebCrypto signs, the core assembles the JWS);
//     - oauth4webapi 3.8.8: protectedResourceRequest with a DPoP handle against without one;
//  2. a DPoP auth.fetch against a Bearer one, against the reference server (`--dpop allowed`,
//     nonces on) on loopback: median latency and calls per second, alternating blocks.
// Usage: node bench/dpop.mjs [--calls 2000]
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { browserFetch } from "../tests/support/browser-fetch.js";
import { startServer } from "../tests/server/server-process.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg("calls", 2000);
const BLOCK = 100;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (label, value) => console.log(`  ${label.padEnd(58)} ${value}`);

async function section(title, fn) {
  console.log(`\n${title}`);
  try {
    await fn();
  } catch (error) {
    row("(section)", `not measured: ${error?.stack?.split("\n").slice(0, 2).join(" ") ?? error}`);
  }
}

/**
 * Runs each of `variants` ({ name: async () => {} }) CALLS times in alternating blocks (so
 * drift hits all alike) after a warm-up; answers { name: per-call times in ms }.
 */
async function alternate(variants) {
  const names = Object.keys(variants);
  for (let i = 0; i < 200; ++i) for (const name of names) await variants[name]();
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let done = 0; done < CALLS; done += BLOCK) {
    for (const name of names) {
      const t0 = performance.now();
      for (let i = 0; i < BLOCK; ++i) await variants[name]();
      times[name].push((performance.now() - t0) / BLOCK);
    }
  }
  return times;
}

const ok = (label) => async (response) => {
  const res = await response;
  if (res.status !== 200) throw new Error(`${label}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

// ---------------------------------------------------------------- 1. proof cost, no network
async function proofCost() {
  const { createAuthClient } = await import("../js/index.js");
  const { dpop: dpopSupport } = await import("../js/dpop.js");
  const oauth = await import("oauth4webapi");
  const subtle = globalThis.crypto.subtle;
  const issuer = "http://127.0.0.1:9";  // never contacted: every fetch below is a stub
  const url = `${issuer}/api/posts`;
  const TOKEN = "bench-access-token";
  // The stub: a login answer for the given token_type, 200 for everything else.
  const stub = (tokenType) => async (input) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    if (path === "/auth/login") {
      return Response.json({ access_token: TOKEN, token_type: tokenType, expires_in: 3600 }, { headers: { "cache-control": "no-store" } });
    }
    return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
  };
  const client = async (dpop) => {
    const auth = await createAuthClient({ issuer, clientId: "bench", dpop: dpop && dpopSupport, fetch: stub(dpop ? "DPoP" : "Bearer"),
                                          channel: null, locks: null, navigate: () => {} });
    await auth.loginWithPassword("bench", "bench");
    return auth;
  };
  const [bearer, dpop] = [await client(false), await client(true)];

  const keyPair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const oauthClient = { client_id: "bench" };
  const handle = oauth.DPoP(oauthClient, keyPair);
  const o4wOptions = { [oauth.customFetch]: stub("DPoP"), [oauth.allowInsecureRequests]: true };
  const input = new TextEncoder().encode("x".repeat(300)); // about a proof's signing input
  const times = await alternate({
    sign: () => subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keyPair.privateKey, input),
    authwasmBearer: () => ok("authwasm Bearer")(bearer.fetch(url)),
    authwasmDpop: () => ok("authwasm DPoP")(dpop.fetch(url)),
    o4wBearer: () => ok("oauth4webapi Bearer")(oauth.protectedResourceRequest(TOKEN, "GET", new URL(url), undefined, undefined, o4wOptions)),
    o4wDpop: () => ok("oauth4webapi DPoP")(oauth.protectedResourceRequest(TOKEN, "GET", new URL(url), undefined, undefined,
                                                                          { ...o4wOptions, DPoP: handle })),
  });
  const us = (name) => median(times[name]) * 1000;
  row("WebCrypto ECDSA P-256 sign alone (the floor)", `${fmt(us("sign"))} µs`);
  row("authwasm auth.fetch, Bearer (stub fetch)", `${fmt(us("authwasmBearer"))} µs`);
  row("authwasm auth.fetch, DPoP (stub fetch)", `${fmt(us("authwasmDpop"))} µs`);
  row("  authwasm's proof: core signing input + sign + JWS", `${fmt(us("authwasmDpop") - us("authwasmBearer"))} µs`);
  row("oauth4webapi protectedResourceRequest, Bearer (stub fetch)", `${fmt(us("o4wBearer"))} µs`);
  row("oauth4webapi protectedResourceRequest, DPoP (stub fetch)", `${fmt(us("o4wDpop"))} µs`);
  row("  oauth4webapi's proof (DPoP handle, addProof)", `${fmt(us("o4wDpop") - us("o4wBearer"))} µs`);
  row("medians of per-call means", `${CALLS / BLOCK} blocks of ${BLOCK} calls each`);
  bearer.close();
  dpop.close();
}

// ---------------------------------------------------------------- 2. against the server
async function loopback() {
  const { createAuthClient } = await import("../js/index.js");
  const { dpop: dpopSupport } = await import("../js/dpop.js");
  const server = await startServer({ args: ["--demo", "--dpop", "allowed", "--access-ttl", "3600", "--login-burst", "1000"] });
  try {
    const client = async (dpop) => {
      const jar = browserFetch({ origin: server.origin });
      const auth = await createAuthClient({ issuer: server.url, clientId: "authwasm-demo", dpop: dpop && dpopSupport, fetch: jar.fetch,
                                            channel: null, locks: null });
      await auth.loginWithPassword("demo", "demo-password");
      return auth;
    };
    const [bearer, dpop] = [await client(false), await client(true)];
    const url = `${server.url}/api/posts`;
    const times = await alternate({
      bearer: () => ok("Bearer")(bearer.fetch(url)),
      dpop: () => ok("DPoP")(dpop.fetch(url)),
    });
    const [b, d] = [median(times.bearer), median(times.dpop)];
    row("reference server GET /api/posts, Bearer auth.fetch", `${fmt(b * 1000, 0)} µs/call (${fmt(1000 / b, 0)} calls/s)`);
    row("reference server GET /api/posts, DPoP auth.fetch", `${fmt(d * 1000, 0)} µs/call (${fmt(1000 / d, 0)} calls/s)`);
    row("  DPoP's cost per call (proof + server check)", `${fmt((d - b) * 1000, 0)} µs (${fmt(d / b, 2)}x)`);
    row("sequential, one connection per client, loopback", `${CALLS} calls each`);
    bearer.close();
    dpop.close();
  } finally {
    await server.stop();
  }
}

if (!existsSync(join(root, "dist/authwasm.wasm"))) {
  console.log("not measured: dist/authwasm.wasm missing (npm run build)");
} else {
  console.log(`DPoP (RFC 9449) figures, Node ${process.version}`);
  await section("1. proof cost, no network", proofCost);
  await section("2. DPoP vs Bearer auth.fetch against the reference server (loopback)", loopback);
}
