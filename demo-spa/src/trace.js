// The demo hands authwasm a fetch that logs each request's method, path and status — never a
// header value or a body with a token in it — so the log can show the wire: a 401, the silent
// refresh it caused, and the single retry. With DPoP it adds what each proof claims (htm, htu,
// iat, a jti prefix, ath present), decoded from the DPoP header: never the proof or a token.
import { describeProof } from "./dpop.js";

export function createTracer(log) {
  let lastUnauthorized = null; // { method, path, at } of the last 401 invalid_token

  function describe(method, path, res, hadBearer, nonceAsked) {
    const status = res.status;
    const line = `${method} ${path} → ${status}`;
    if (nonceAsked) {
      return [line, "The server asked for its DPoP nonce (use_dpop_nonce, with a DPoP-Nonce header); authwasm signs a fresh proof with it and retries once."];
    }
    if (status === 401 && hadBearer) {
      const challenge = res.headers.get("www-authenticate") ?? "";
      const why = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? (challenge || "unauthorized");
      lastUnauthorized = { method, path, at: Date.now() };
      return [line, `The server refused the access token: ${why}. authwasm will refresh once and retry once.`];
    }
    if (path === "/auth/refresh") {
      const after = lastUnauthorized && Date.now() - lastUnauthorized.at < 10_000
        ? ` (after ${lastUnauthorized.method} ${lastUnauthorized.path} answered 401)` : "";
      if (status === 200) return [line, after
        ? `Refresh${after}: the HttpOnly cookie was sent and rotated; a new access token came back in the body.`
        : "Refresh without a 401: this tab had no token yet (page load) or its token had passed its expiry by authwasm's clock. The HttpOnly cookie was sent and rotated."];
      return [line, `Refresh${after} refused: no valid refresh cookie (no session, or it was revoked).`];
    }
    if (lastUnauthorized && lastUnauthorized.method === method && lastUnauthorized.path === path &&
        Date.now() - lastUnauthorized.at < 10_000) {
      lastUnauthorized = null;
      return [`${line} (retry)`, status < 400
        ? "The one retry, with the new token, succeeded. The app only saw this answer."
        : "The retry failed too; authwasm does not loop, the app gets this answer."];
    }
    switch (path) {
      case "/auth/login": return [line, status === 200
        ? "Password accepted. Access token in the JSON body, refresh token in an HttpOnly cookie." : "The server refused the credentials."];
      case "/token": return [line, status === 200
        ? "Code + PKCE verifier exchanged for tokens. The refresh token arrived as an HttpOnly cookie." : "The code exchange was refused."];
      case "/auth/logout": return [line, "The server revoked this session's refresh-token family and cleared the cookie."];
      case "/auth/logout-all": return [line, "The server revoked every session of this user."];
      default: return [line, hadBearer ? "Sent with the access token from wasm memory." : ""];
    }
  }

  async function tracedFetch(input, init = {}) {
    const request = input instanceof Request ? input : null;
    const method = String(init.method ?? request?.method ?? "GET").toUpperCase();
    const url = new URL(request ? request.url : String(input), location.href);
    const path = url.origin === location.origin ? url.pathname : `${url.origin}${url.pathname}`;
    const headers = new Headers(init.headers ?? request?.headers ?? {});
    const hadBearer = headers.has("authorization");
    const proof = describeProof(headers.get("dpop"));
    let res;
    try {
      res = await fetch(input, init);
    } catch (error) {
      log.add({ kind: "http", title: `${method} ${path} failed`, detail: error?.message ?? String(error) });
      throw error;
    }
    // RFC 9449 §8, §9: 400 {"error":"use_dpop_nonce"} at a token endpoint, a DPoP challenge at an API.
    const nonceAsked = res.status === 400 && res.headers.has("dpop-nonce")
      ? (await res.clone().json().catch(() => ({}))).error === "use_dpop_nonce"
      : res.status === 401 && /use_dpop_nonce/.test(res.headers.get("www-authenticate") ?? "");
    const [title, detail] = describe(method, path, res, hadBearer, nonceAsked);
    log.add({ kind: "http", title, detail: [detail, proof].filter(Boolean).join(" ") });
    return res;
  }

  return { fetch: tracedFetch };
}
