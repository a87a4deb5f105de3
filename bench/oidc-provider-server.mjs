// The comparison peer for bench/server.mjs: oidc-provider (npm) with its refresh grant,
// rotation on, ES256 ID tokens, a public client. Runs as its own process (like
// authwasm-server) so the load driver does not share its event loop.
// Prints one JSON line: { url, refreshTokens: [...] } with `--sessions N` minted sessions.
// Sessions are minted through the provider's own models (Grant + RefreshToken) rather than
// by driving the login UI N times: the benchmark measures the refresh grant only.
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";

import Provider from "oidc-provider";
import MemoryAdapter from "oidc-provider/lib/adapters/memory_adapter.js";
import LRU from "oidc-provider/lib/helpers/lru.js";

const sessions = Number(process.argv[process.argv.indexOf("--sessions") + 1] || 8);
const CLIENT_ID = "bench";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-es256", alg: "ES256", use: "sig" };

const server = createServer();
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const issuer = `http://127.0.0.1:${server.address().port}`;  // fixed at construction (TOOLCHAIN.md)

// oidc-provider's own in-memory adapter and LRU, with room for a whole run: its default
// (1000 entries) evicted the grants, refresh and access tokens of sessions idle for a few
// thousand refreshes (bench/server.mjs keeps sessions for later slices), which then failed
// with invalid_grant / invalid_token.
const store = new LRU({ maxSize: 1_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [{
    client_id: CLIENT_ID,
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: ["http://127.0.0.1/cb"],
    id_token_signed_response_alg: "ES256",
  }],
  jwks: { keys: [jwk] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  rotateRefreshToken: true,
  pkce: { required: () => true },
  ttl: { AccessToken: 900, IdToken: 900, RefreshToken: 86400 },
  clockTolerance: 0,
});
provider.on("server_error", (_ctx, err) => console.error("oidc-provider server_error:", err));
server.on("request", provider.callback());

const client = await provider.Client.find(CLIENT_ID);
const refreshTokens = [];
for (let i = 0; i < sessions; i++) {
  const accountId = `bench-user-${i}`;
  const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
  grant.addOIDCScope("openid offline_access");
  const grantId = await grant.save();
  const rt = new provider.RefreshToken({
    accountId, client, grantId, gty: "authorization_code",
    scope: "openid offline_access", authTime: Math.floor(Date.now() / 1000),
  });
  refreshTokens.push(await rt.save());
}
console.log(JSON.stringify({ url: issuer, clientId: CLIENT_ID, refreshTokens }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
