// A fault-injecting HTTP proxy on loopback, between a client (Node or a browser page) and the
// real reference server. Faults are switched per path prefix; every request is counted at the
// proxy (`received`) and, when it went on to the server, again (`forwarded`).
//
// Fault kinds (spec.kind):
//   "blackhole"  accept the request, never answer (held until the client gives up or clear())
//   "slow"       wait `delayMs`, then forward and relay the answer. A request whose client
//                gave up meanwhile is dropped, unless `lateDelivery: true`: then it reaches the
//                server anyway (a slow server finishes its work), and a slow refresh may rotate
//                after the client stopped waiting.
//   "reset"      forward, send the status line, headers (Set-Cookie included) and the first
//                `afterBytes` of the body, then destroy the socket
//   "stall"      like "reset", but the connection then stays open and silent: the body never ends
//   "lost"       forward (the server processes it and rotates), then never deliver the answer:
//                `deliver: "reset"` destroys the connection at once, `"hold"` keeps it open
//                until the client gives up
//   "status"     answer `status` (503, 429…) with a JSON error body and, when given,
//                `Retry-After: retryAfter`, without asking the server
// `times: N` applies a fault to the next N matching requests only, then lifts it.
// When the server is down (connection refused), the proxy resets the client's connection: the
// client sees what it would see without a proxy, a failed connection.
import { createServer, request as httpRequest } from "node:http";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

export async function startFaultProxy({ target, port = 0 } = {}) {
  let upstream = target ? new URL(target) : null;
  const faults = new Map(); // prefix → { spec, left }
  const received = new Map();
  const forwarded = new Map();
  const held = new Set(); // responses never to be answered
  const timers = new Set();
  const sockets = new Set();
  const log = []; // { at, method, path, fault, forwardedAt?, status? }

  const bump = (map, path) => map.set(path, (map.get(path) ?? 0) + 1);
  const sum = (map, prefix) => [...map].reduce((n, [path, c]) => (path.startsWith(prefix) ? n + c : n), 0);

  // The longest matching prefix wins; a fault with `times` is used up request by request.
  function take(path) {
    let best = null;
    for (const [prefix, entry] of faults) {
      if (path.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, entry];
    }
    if (!best) return null;
    const [prefix, entry] = best;
    if (entry.left !== Infinity && --entry.left <= 0) faults.delete(prefix);
    return entry.spec;
  }

  const readBody = (req) => new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

  const hold = (res) => {
    held.add(res);
    res.on("close", () => held.delete(res));
  };

  const after = (ms, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  /** Sends the request to the server; resolves to its answer, fully read: { status, headers, body }. */
  function toServer(req, path, body, entry) {
    return new Promise((resolve, reject) => {
      if (!upstream) return reject(new Error("no upstream"));
      bump(forwarded, path);
      entry.forwardedAt = Date.now();
      const out = httpRequest({
        hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: req.headers, agent: false,
      }, (answer) => {
        const chunks = [];
        answer.on("data", (c) => chunks.push(c));
        entry.status = answer.statusCode;
        answer.on("end", () => resolve({ status: answer.statusCode, headers: answer.rawHeaders, body: Buffer.concat(chunks) }));
        answer.on("error", reject);
      });
      out.on("error", reject);
      out.end(body);
    });
  }

  const endToEndHeaders = (raw) => {
    const kept = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has(raw[i].toLowerCase())) kept.push(raw[i], raw[i + 1]);
    }
    return kept;
  };

  async function relay(req, res, path, body, spec, entry) {
    let answer;
    try {
      answer = await toServer(req, path, body, entry);
    } catch {
      return req.socket.destroy(); // the server is down: a failed connection, as without a proxy
    }
    if (spec?.kind === "lost") {
      if (spec.deliver === "hold") return hold(res);
      return req.socket.destroy();
    }
    const headers = endToEndHeaders(answer.headers);
    if (req.socket.destroyed) return; // the client gave up; the server did its work anyway
    if (spec?.kind === "reset" || spec?.kind === "stall") {
      res.writeHead(answer.status, headers);
      const part = answer.body.subarray(0, Math.min(spec.afterBytes ?? 16, Math.max(answer.body.length - 1, 0)));
      if (spec.kind === "stall") return res.write(part, () => hold(res));
      return res.write(part, () => res.socket?.destroy());
    }
    res.writeHead(answer.status, headers).end(answer.body);
  }

  async function handle(req, res) {
    const path = new URL(req.url, "http://proxy").pathname;
    const spec = take(path);
    bump(received, path);
    const entry = { at: Date.now(), method: req.method, path, fault: spec?.kind ?? null };
    log.push(entry);
    const body = await readBody(req).catch(() => null);
    if (body === null) return;
    switch (spec?.kind) {
      case "blackhole":
        return hold(res);
      case "status": {
        const headers = { "content-type": "application/json", "cache-control": "no-store" };
        if (spec.retryAfter !== undefined) headers["retry-after"] = String(spec.retryAfter);
        const error = spec.status === 429 ? "slow_down" : "temporarily_unavailable";
        return res.writeHead(spec.status, headers).end(JSON.stringify({ error, error_description: "injected by the fault proxy" }));
      }
      case "slow":
        return after(spec.delayMs, () => {
          if (req.socket.destroyed && !spec.lateDelivery) return (entry.dropped = true);
          relay(req, res, path, body, spec, entry);
        });
      default:
        return relay(req, res, path, body, spec, entry);
    }
  }

  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  const releaseHeld = () => {
    for (const res of held) res.socket?.destroy();
    held.clear();
  };

  return {
    url,
    origin: url,
    port: server.address().port,
    log,
    /** Points the proxy at a (restarted) server. */
    setTarget(next) {
      upstream = new URL(next);
    },
    /** Switches a fault on for paths starting with `prefix`; replaces that prefix's fault. */
    fault(prefix, spec) {
      faults.set(prefix, { spec, left: spec.times ?? Infinity });
    },
    /**
     * Lifts the fault of `prefix` (every fault without one). Requests held so far are dropped
     * (their connections reset), unless `keepHeld`: then they stay unanswered until the client
     * gives up, as a black hole that clears for new connections only.
     */
    clear(prefix, { keepHeld = false } = {}) {
      if (prefix === undefined) faults.clear();
      else faults.delete(prefix);
      if (!keepHeld) releaseHeld();
    },
    /** Requests that arrived at the proxy, summed over paths starting with `prefix`. */
    received: (prefix = "/") => sum(received, prefix),
    /** Requests the proxy sent on to the server. */
    forwarded: (prefix = "/") => sum(forwarded, prefix),
    get heldCount() {
      return held.size;
    },
    async close() {
      faults.clear();
      for (const timer of timers) clearTimeout(timer);
      releaseHeld();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
