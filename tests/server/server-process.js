// Spawns the real authwasm-server binary on an ephemeral port with a fresh data directory,
// and a few HTTP helpers the server suites share.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SERVER_BIN = process.env.AUTHWASM_SERVER_BIN ?? join(root, "build/native/server/authwasm-server");

export function freshDataDir() {
  return mkdtempSync(join(tmpdir(), "authwasm-server-test-"));
}

// A test that fails before stop() must not leave its server running: the child would keep
// the test file's process alive, and the whole run would hang. Under node --test (which sets
// NODE_TEST_CONTEXT in each file's process) a root-level hook kills what is left; elsewhere
// (bench scripts) the servers die with the process.
const running = new Set();
const killRunning = () => {
  for (const child of running) child.kill("SIGKILL");
};
process.once("exit", killRunning);
if (process.env.NODE_TEST_CONTEXT) {
  const { after } = await import("node:test");
  after(killRunning);
}

/**
 * Starts the server and resolves once its first stdout line names the port.
 * @param {{ args?: string[], dataDir?: string, env?: object }} options
 */
export async function startServer({ args = [], dataDir = freshDataDir(), env = {} } = {}) {
  const child = spawn(SERVER_BIN, ["--port", "0", "--quiet", "--data-dir", dataDir, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => {
    running.delete(child);
    resolveExit({ code, signal });
  }));
  const url = await new Promise((resolveUrl, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 10 s; stderr: ${stderr}`)), 10_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /^authwasm-server listening on (http:\/\/\S+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  let stopped = false;
  return {
    url,
    origin: url,
    port: Number(new URL(url).port),
    dataDir,
    child,
    stderr: () => stderr,
    /** SIGTERM and wait; resolves to the exit code. */
    async stop({ keepData = false } = {}) {
      if (!stopped) {
        stopped = true;
        child.kill("SIGTERM");
      }
      const { code } = await exited;
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs the binary to completion (for bad-configuration checks). */
export function runServer(args, { env = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(SERVER_BIN, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not exit within ${timeoutMs} ms (args ${args.join(" ")})`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** `authwasm-server keys …` (server/README.md "Signing keys and rotation"): { code, stdout, stderr }. */
export const keysCommand = (args, options) => runServer(["keys", ...args], options);

/** Parses the line of `keys rotate`: { kid, activateAt, retireAt } (ms). */
export function parseRotation(stdout) {
  const m = /^staged (\S+): published now, signing from (\S+); the keys it replaces retire at (\S+)$/m.exec(stdout);
  if (!m) throw new Error(`unexpected keys rotate output: ${stdout}`);
  return { kid: m[1], activateAt: Date.parse(m[2]), retireAt: Date.parse(m[3]) };
}

/** Polls `predicate()` every 25 ms until true; fails after `ms` (a hang guard, not a timing assertion). */
export async function waitUntil(predicate, ms, what = "condition") {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------- HTTP helpers

let counter = 0;
export function uniqueUsername(prefix = "user") {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export const PASSWORD = "correct horse battery staple";

/** The authwasm_rt value a response sets ("" when it clears it, undefined when absent). */
export function refreshCookieOf(res) {
  for (const line of res.headers.getSetCookie()) {
    const match = /^authwasm_rt=([^;]*)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export function postJson(server, path, body, headers = {}) {
  return fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.origin, ...headers },
    body: JSON.stringify(body),
  });
}

export async function register(server, username = uniqueUsername(), password = PASSWORD) {
  const res = await postJson(server, "/auth/register", { username, password });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return { username, password, ...(await res.json()) };
}

/** Registers a fresh user and logs in: { username, sub, accessToken, refreshToken, body }. */
export async function newSession(server, user) {
  user ??= await register(server);
  const res = await postJson(server, "/auth/login", { username: user.username, password: user.password });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const body = await res.json();
  return { ...user, accessToken: body.access_token, refreshToken: refreshCookieOf(res), body };
}

/** POST /auth/refresh with the given refresh token as the cookie. */
export function refresh(server, refreshToken, { origin = server.origin } = {}) {
  const headers = {};
  if (origin !== null) headers.origin = origin;
  if (refreshToken !== undefined) headers.cookie = `authwasm_rt=${refreshToken}`;
  return fetch(server.url + "/auth/refresh", { method: "POST", headers });
}

export function getWithBearer(server, path, accessToken) {
  return fetch(server.url + path, { headers: { authorization: `Bearer ${accessToken}` } });
}

/** GET /debug/stats (the server must run with --debug-stats). */
export async function debugStats(server) {
  return (await fetch(server.url + "/debug/stats")).json();
}

/** Decodes a JWT's payload (no verification: the server's own answers are under test). */
export function jwtClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}
export function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString("utf8"));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the wall clock is `phaseMs` past a whole second (0 ≤ phaseMs < 1000). Tests of
 * the millisecond windows start an event there, so that a server comparing whole seconds
 * would misjudge the window (server/README.md "Time in milliseconds").
 */
export function atPhaseOfSecond(phaseMs) {
  return sleep((phaseMs - (Date.now() % 1000) + 1000) % 1000);
}
