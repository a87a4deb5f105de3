// A round-robin HTTP proxy for tests of several server instances behind one URL (issue 15): each
// request goes to the next upstream; when an upstream refuses the connection (an instance that
// was killed) the request goes to the next one, as a load balancer's health check would make it.
// Bodies are buffered (test requests are small). Resolves to { url, origin, port, upstreams,
// hits, close() }; `upstreams` (origins) may be filled in after start, once the issuer is known.
import http from "node:http";

export async function startRoundRobinProxy(upstreams = []) {
  let next = 0;
  const hits = [];
  // A fresh connection per request: a killed instance then refuses it and the request moves on.
  // (Pooled keep-alive sockets to a killed instance would reset instead, and a request that may
  // have been sent cannot be moved: the 5 s keep-alive of the server made them live that long.)
  const agent = new http.Agent({ keepAlive: false });
  const forward = (req, body, res, tries) => {
    const i = next++ % upstreams.length;
    const target = new URL(req.url, upstreams[i]);
    const out = http.request(target, { method: req.method, headers: req.headers, agent }, (answer) => {
      hits[i] = (hits[i] ?? 0) + 1;
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    out.on("error", (error) => {
      if (tries + 1 < upstreams.length && error.code === "ECONNREFUSED") return forward(req, body, res, tries + 1);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "bad_gateway", error_description: error.message }));
    });
    out.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => forward(req, Buffer.concat(chunks), res, 0));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    upstreams,
    hits,
    close: () => new Promise((r) => { agent.destroy(); server.closeAllConnections(); server.close(r); }),
  };
}
