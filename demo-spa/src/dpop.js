// The demo's DPoP switch (RFC 9449): remembered in the URL query (`?dpop`), never in storage,
// so it survives reloads and the demo's own navigation. The redirect back from the sign-in page
// cannot carry it in a query (authwasm matches the callback against the redirect URI without
// its query), so with DPoP the redirect URI is its own path, /callback-dpop, which the server
// registers next to /callback (scripts/start.sh).
import { h } from "./dom.js";

export const DPOP_CALLBACK_PATH = "/callback-dpop";

export const dpopEnabled = () =>
  new URLSearchParams(location.search).has("dpop") || location.pathname === DPOP_CALLBACK_PATH;

/** The redirect URI's path for this page's mode. */
export const callbackPath = () => (dpopEnabled() ? DPOP_CALLBACK_PATH : "/callback");

/** `path` with `?dpop` when the switch is on. */
export const withDpopQuery = (path) => (dpopEnabled() ? `${path}?dpop` : path);

/** The checkbox shown before sign-in; flipping it reloads the page with the new query. */
export function dpopSwitch() {
  const box = h("input", { type: "checkbox", id: "dpop-switch", checked: dpopEnabled() });
  box.addEventListener("change", () => {
    const url = new URL(location.href);
    if (box.checked) url.searchParams.set("dpop", "");
    else url.searchParams.delete("dpop");
    location.assign(url.href.replace(/dpop=(&|$)/, "dpop$1"));
  });
  return h("p", { class: "dpop-switch" },
    h("label", { for: "dpop-switch" }, box, " Bind the tokens to a key (DPoP, RFC 9449)"),
    h("span", { class: "help" },
      " A non-extractable WebCrypto key in IndexedDB signs a proof for every request, so a stolen token is useless elsewhere."));
}

/**
 * What a request's DPoP proof claims, for the event log: htm, htu, iat, a jti prefix, whether
 * ath and a nonce are present. Never the proof itself, never a token. "" without a proof.
 */
export function describeProof(proof) {
  if (!proof) return "";
  try {
    const claims = JSON.parse(atob(proof.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const parts = [`htm ${claims.htm}`, `htu ${claims.htu}`, `iat ${claims.iat}`, `jti ${String(claims.jti).slice(0, 8)}…`,
                   claims.ath ? "ath present (bound to the access token)" : "no ath", claims.nonce ? "with the server's nonce" : "no nonce"];
    return `DPoP proof: ${parts.join(", ")}.`;
  } catch {
    return "DPoP proof: (unreadable)";
  }
}
