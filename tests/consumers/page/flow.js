// What every consumer page does, whatever built it: a PKCE pair, a client with default
// options, a password login and one authenticated call against the reference server that
// serves the page (or that its dev server proxies); then the same with DPoP (authwasm/dpop,
// whose own wasm the bundler must emit too). The outcome goes to window.result.
import { AuthError, createAuthClient, createPkcePair } from "authwasm";
import { dpop } from "authwasm/dpop";

export async function runFlow() {
  const pkce = await createPkcePair();
  const auth = await createAuthClient({
    issuer: location.origin,
    clientId: "authwasm-demo",
    redirectUri: `${location.origin}/callback`,
  });
  await auth.loginWithPassword("demo", "demo-password");
  const response = await auth.fetch("/api/posts");
  const body = await response.json();
  // A second client of the page: no channel or locks, so the two never talk to each other.
  const bound = await createAuthClient({ issuer: location.origin, clientId: "authwasm-demo",
                                         redirectUri: `${location.origin}/callback`, dpop, channel: null, locks: null });
  await bound.loginWithPassword("demo", "demo-password");
  const boundResponse = await bound.fetch("/api/posts");
  return {
    dpop: { apiStatus: boundResponse.status, keyBound: typeof bound.session().accessTokenClaims?.cnf?.jkt === "string" },
    pkce: { verifierLength: pkce.verifier.length, method: pkce.method },
    authenticated: auth.isAuthenticated,
    apiStatus: response.status,
    viewerIsTheUser: typeof body.viewer === "string" && body.viewer === auth.user?.sub,
    posts: body.posts?.length,
  };
}

export function report(outcome) {
  outcome.then(
    (result) => (window.result = result),
    (error) => (window.result = {
      error: { authError: error instanceof AuthError, code: error?.code, message: String(error?.message ?? error) },
    }),
  );
}
