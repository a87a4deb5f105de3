// A burst of new connections must not overflow the listen queue (issue 13). With
// cpp-httplib's default backlog of 5 the kernel drops the SYNs of a burst, and each dropped
// client waits for its SYN retransmission: 1 s, then 2 s more. This counts the stalled
// requests; it measures no speed (figures belong in bench/).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { startServer } from "./server-process.js";

const BURST = 100;
const ROUNDS = 3;
const STALL_MS = 900;  // a SYN retransmission costs at least 1 s

/** GET on a connection of its own (no keep-alive pool); resolves to { status, ms }. */
function getOnNewConnection(url) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - start }));
    });
    req.on("error", reject);
  });
}

describe("connection burst", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test(`${BURST} concurrent new connections, ${ROUNDS} times: none stalls ≥ ${STALL_MS} ms (listen backlog)`, async () => {
    const stalled = [];
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(
        Array.from({ length: BURST }, () => getOnNewConnection(server.url + "/.well-known/jwks.json")));
      assert.deepEqual(answers.map((a) => a.status), Array(BURST).fill(200));
      stalled.push(...answers.filter((a) => a.ms >= STALL_MS).map((a) => Math.round(a.ms)));
    }
    assert.deepEqual(stalled, [], "requests that waited for a SYN retransmission (ms)");
  });
});
