// Refresh throughput and latency by store (issue 15), printed, never asserted: SQLite with one
// instance, PostgreSQL (a throwaway cluster, tests/support/postgres.js) with one and with three
// instances on it. N sessions each refresh in a loop with the token just given, spread over the
// instances in turn (as a round-robin balancer would). On a 2-core machine this shows the cost
// per refresh of each store, not scaling.
// Usage: node bench/server-stores.mjs [--sessions 8] [--seconds 5]
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { startPostgres } from "../tests/support/postgres.js";
import { newSession, refreshCookieOf, startServer } from "../tests/server/server-process.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SESSIONS = arg("sessions", 8);
const SECONDS = arg("seconds", 5);
const ORIGIN = "http://auth.bench.invalid";

function post(agent, url, cookie) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { origin: ORIGIN, cookie } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res));
    });
    req.on("error", reject);
    req.end();
  });
}

async function run(label, { instances, store }) {
  const shared = mkdtempSync(join(tmpdir(), "authwasm-bench-"));
  // One issuer for every instance (server/README.md "Deployment"), so one Origin for all.
  const args = ["--key-file", join(shared, "key.pem"), "--issuer", ORIGIN, "--quiet"];
  if (store) args.push("--store", store);
  const servers = [await startServer({ args })];
  for (let i = 1; i < instances; i++) servers.push(await startServer({ args, dataDir: servers[0].dataDir }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: SESSIONS * instances });
  const tokens = await Promise.all(Array.from({ length: SESSIONS }, async () => (await newSession({ url: servers[0].url, origin: ORIGIN })).refreshToken));
  const latencies = [];
  let errors = 0;
  let turn = 0;
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(tokens.map(async (token) => {
    while (performance.now() < end) {
      const server = servers[turn++ % servers.length];
      const t0 = performance.now();
      const res = await post(agent, server.url + "/auth/refresh", `authwasm_rt=${token}`);
      latencies.push(performance.now() - t0);
      const next = refreshCookieOf({ headers: { getSetCookie: () => [res.headers["set-cookie"] ?? []].flat() } });
      if (res.statusCode === 200 && next) token = next;
      else errors++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(`${label.padEnd(28)} ${(latencies.length / elapsed).toFixed(0).padStart(7)} refresh/s   p50 ${p(0.5).padStart(6)} ms   p99 ${p(0.99).padStart(6)} ms   errors ${errors}`);
  agent.destroy();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(shared, { recursive: true, force: true });
}

console.log(`refresh throughput by store: ${SESSIONS} sessions, ${SECONDS} s each, loopback`);
await run("SQLite, 1 instance", { instances: 1 });
const pg = await startPostgres();
try {
  await run("PostgreSQL, 1 instance", { instances: 1, store: pg.url });
  await run("PostgreSQL, 3 instances", { instances: 3, store: pg.url });
} finally {
  await pg.stop();
}
