// What every consumer page does, whatever built it: a PKCE pair, a client with default
// options, a password login and one authenticated call against the reference server that
// serves the page (or that its dev server proxies). The outcome goes to window.result.
import { AuthError, createAuthClient, createPkcePair } from "authwasm";

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
  return {
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
