// A real OpenID Provider for the tests: oidc-provider (npm, pinned devDependency) on
// 127.0.0.1, configured like bench/oidc-provider-server.mjs (public client, rotating refresh
// tokens, PKCE required, clockTolerance 0) plus what an SPA's redirect flow needs: dev
// interactions (login + consent forms), revocation, RP-initiated logout, UserInfo.
// Facts from ../shared/TOOLCHAIN.md: the issuer is fixed at construction, so listen first.
// Also: a path-aware cookie jar and a driver for the dev-interaction forms, so a test can
// play the browser's part of the redirect flow with fetch.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
export const signingKeys = {
  es256: { ...ec.export({ format: "jwk" }), kid: "test-es256", alg: "ES256", use: "sig" },
  rs256: { ...rsa.export({ format: "jwk" }), kid: "test-rs256", alg: "RS256", use: "sig" },
};

/**
 * @param {{ redirectUris?: string[], postLogoutRedirectUris?: string[], ttl?: object, dpop?: boolean }} [options]
 * Clients: "spa" (ES256 ID tokens) and "spa-rs" (RS256), both public (PKCE, no secret).
 * `dpop`: RFC 9449 with server nonces required at the token and userinfo endpoints
 * (TOOLCHAIN.md: `nonceSecret` enables nonces, `requireNonce` forces them).
 */
export async function startProvider(options = {}) {
  const redirectUris = options.redirectUris ?? ["http://127.0.0.1/cb"];
  const postLogoutRedirectUris = options.postLogoutRedirectUris ?? ["http://127.0.0.1/bye"];
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const client = (client_id, alg) => ({
    client_id,
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    id_token_signed_response_alg: alg,
  });
  const requests = []; // method + path of every request, for "one request" assertions
  const provider = new Provider(issuer, {
    clients: [client("spa", "ES256"), client("spa-rs", "RS256")],
    jwks: { keys: [signingKeys.es256, signingKeys.rs256] },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, name: `User ${id}` }),
    }),
    claims: { openid: ["sub"], profile: ["name"] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
      ...(options.dpop ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } } : {}),
    },
    // A public SPA client gets a refresh token without offline_access (TOOLCHAIN.md).
    issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    clockTolerance: 0,
    ttl: { AccessToken: 300, IdToken: 300, RefreshToken: 3600, Session: 3600, Grant: 3600,
           Interaction: 600, AuthorizationCode: 60, ...options.ttl },
    cookies: { keys: ["authwasm-test-cookie-key"] },
  });
  provider.on("server_error", (_ctx, error) => console.error("oidc-provider server_error:", error));
  const callback = provider.callback();
  server.on("request", (req, res) => {
    requests.push(`${req.method} ${new URL(req.url, issuer).pathname}`);
    callback(req, res);
  });
  return {
    issuer,
    provider,
    requests,
    count: (what) => requests.filter((r) => r === what).length,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}

/** Cookies as a browser keeps them for one origin: name + path, sent where the path matches. */
export class CookieJar {
  #cookies = new Map(); // `${path} ${name}` → { name, value, path }

  store(response, url) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";").map((p) => p.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = new URL(url).pathname.replace(/\/[^/]*$/, "") || "/";
      let expired = value === "";
      for (const attribute of attributes) {
        const [key, v = ""] = attribute.split("=");
        if (key.toLowerCase() === "path") path = v;
        if (key.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (key.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true;
      }
      const key = `${path} ${name}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const path = new URL(url).pathname;
    return [...this.#cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join("; ");
  }
}

/** One browser request to the provider: cookies in and out, redirects not followed. */
export async function browse(jar, url, init = {}) {
  const headers = { ...init.headers };
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.store(response, url);
  const location = response.headers.get("location");
  return { response, location: location ? new URL(location, url).href : null, body: await response.text() };
}

const form = (fields) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

/**
 * Plays the browser from an authorization URL to the redirect back to the app: follows
 * redirects, fills the dev login form (`login`/`password`) and confirms consent. Returns the
 * URL the provider sent the browser to (starting with `appPrefix`). Bounded: 12 hops.
 */
export async function authorize(jar, url, { appPrefix = "http://127.0.0.1/", login = "alice" } = {}) {
  let next = url;
  let init = {};
  for (let hop = 0; hop < 12; hop++) {
    if (next.startsWith(appPrefix)) return next;
    const { response, location, body } = await browse(jar, next, init);
    init = {};
    if (location) {
      next = location;
      continue;
    }
    if (response.status !== 200) throw new Error(`authorize: ${next} answered ${response.status}: ${body.slice(0, 300)}`);
    if (body.includes('name="prompt" value="login"')) {
      init = form({ prompt: "login", login, password: "any" });
    } else if (body.includes('name="prompt" value="consent"')) {
      init = form({ prompt: "consent" });
    } else {
      throw new Error(`authorize: unexpected page at ${next}: ${body.slice(0, 300)}`);
    }
    next = new URL(next).href.replace(/\?.*$/, ""); // forms post to /interaction/:uid
  }
  throw new Error("authorize: too many hops");
}

/** RP-initiated logout as the browser does it: the confirm form (hidden xsrf), then POST. */
export async function confirmLogout(jar, endSessionUrl) {
  const page = await browse(jar, endSessionUrl);
  if (page.location) return page.location; // no session: straight to the post-logout URI
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
  const action = /id="op.logoutForm" method="post" action="([^"]+)"/.exec(page.body)?.[1];
  if (!xsrf || !action) throw new Error(`logout: no confirm form: ${page.body.slice(0, 300)}`);
  const done = await browse(jar, new URL(action, endSessionUrl).href, form({ xsrf, logout: "yes" }));
  return done.location;
}
