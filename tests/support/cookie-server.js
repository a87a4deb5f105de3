// A plain node:http cookie-mode auth server: only the part of the reference server's contract
// (DESIGN.md §2) that authwasm's cookie mode needs for login, refresh and a protected API, so
// a bench can set the reference server beside a server that does nothing but that contract.
// Opaque random tokens held in memory: no password check, no signing, no disk.
//   POST /auth/login        → 200 {access_token, token_type, expires_in} + refresh cookie
//   POST /auth/refresh      → cookie only; rotates it (the old one is unknown afterwards)
//   GET  /api/posts         → 200 with a live Bearer token, else 401 Bearer error="invalid_token"
//   POST /demo/expire-token → expires the Bearer token it carries (as the reference --demo)
//   GET  /debug/stats       → {refresh_requests, connections} (as the reference --debug-stats)
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

const COOKIE = "authwasm_rt";

export async function startCookieServer({ accessTtl = 60 } = {}) {
  const access = new Map();   // access token → expiry (ms since epoch)
  const refresh = new Set();  // live refresh tokens
  const stats = { refresh_requests: 0, connections: 0 };
  const secret = () => randomBytes(32).toString("base64url");

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const bearer = (req) => /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  const cookie = (req) => new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]*)`).exec(req.headers.cookie ?? "")?.[1];
  const issue = (res) => {
    const accessToken = secret();
    const refreshToken = secret();
    access.set(accessToken, Date.now() + accessTtl * 1000);
    refresh.add(refreshToken);
    send(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: accessTtl }, {
      "set-cookie": `${COOKIE}=${refreshToken}; HttpOnly; Secure; SameSite=Strict; Path=/auth; Max-Age=2592000`,
    });
  };

  const server = createServer((req, res) => {
    req.resume(); // bodies are not needed
    req.on("end", () => {
      const path = new URL(req.url, "http://x").pathname;
      if (req.method === "POST" && path === "/auth/login") return issue(res);
      if (req.method === "POST" && path === "/auth/refresh") {
        stats.refresh_requests++;
        const token = cookie(req);
        if (!token || !refresh.delete(token)) {
          return send(res, 401, { error: "invalid_grant", error_description: "unknown refresh token" },
            { "set-cookie": `${COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/auth; Max-Age=0` });
        }
        return issue(res);
      }
      const token = bearer(req);
      const live = token !== undefined && (access.get(token) ?? 0) > Date.now();
      if (req.method === "POST" && path === "/demo/expire-token" && live) {
        access.set(token, 0);
        return send(res, 204);
      }
      if (req.method === "GET" && path === "/api/posts") {
        if (live) return send(res, 200, { posts: [{ id: 1, title: "hello" }] });
        return send(res, 401, { error: "invalid_token", error_description: "the access token expired" },
          { "www-authenticate": 'Bearer error="invalid_token", error_description="the access token expired"' });
      }
      if (req.method === "GET" && path === "/debug/stats") return send(res, 200, stats);
      send(res, 404, { error: "not_found" });
    });
  });
  server.on("connection", () => stats.connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    origin: url,
    stats,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
