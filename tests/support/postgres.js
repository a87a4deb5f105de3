// A throwaway PostgreSQL 15 cluster for tests (Debian's `postgresql`; /work/shared/TOOLCHAIN.md
// "PostgreSQL for tests"): initdb into a fresh directory owned by the `postgres` user (initdb
// refuses root), a Unix socket in that directory and no TCP listener, fsync off. Under
// node --test a root after() hook stops whatever is still running.
import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

const running = new Set();
if (process.env.NODE_TEST_CONTEXT) {
  const { after } = await import("node:test");
  after(() => Promise.all([...running].map((cluster) => cluster.stop())));
}

/** As the postgres user when we are root (initdb and postgres refuse to run as root). */
function asPostgres(command, args) {
  return userInfo().uid === 0 ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args);
}

/**
 * Starts a cluster; resolves to { url, dir, socketDir, port, psql(sql), halt(), resume(), stop() }. `url` is a
 * libpq connection URI (postgresql://postgres@/postgres?host=DIR&port=PORT).
 */
export async function startPostgres({ port = 20000 + Math.floor(Math.random() * 20000) } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "authwasm-pg-"));
  if (userInfo().uid === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout), Number(gid));
  }
  const data = join(dir, "data");
  await asPostgres(`${BIN}/initdb`, ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const start = () => asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-l", join(dir, "log"), "-w", "-o",
    `-c listen_addresses='' -k ${dir} -p ${port} -c fsync=off`, "start"]);
  await start();
  let stopped = false;
  const cluster = {
    dir,
    socketDir: dir,
    port,
    url: `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    /** Runs SQL through psql; resolves to its unaligned, tuples-only output. */
    async psql(sql) {
      const { stdout } = await run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
        "-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", sql]);
      return stdout.trim();
    },
    /** An outage: the server shuts down (fast: open connections are cut), its data kept. */
    halt: () => asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]),
    /** The end of the outage: the same cluster, socket and port again. */
    resume: start,
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(cluster);
      await asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(cluster);
  return cluster;
}
