// Type tests for the OpenID Provider additions: discovery, the opt-in verifier, userinfo,
// restore({ silentRedirect }), logout state.
import { createAuthClient, type AuthUser, type IdTokenVerifier } from "authwasm";
import { loadVerifier } from "authwasm/verify";

const verifier: IdTokenVerifier = await loadVerifier();
const auth = await createAuthClient({
  issuer: "https://op.example", clientId: "spa", refresh: "memory", discovery: true, verifier,
});
const restored: AuthUser | null = await auth.restore({ silentRedirect: true, returnTo: "/" });
const claims: AuthUser = await auth.userinfo();
await auth.logout({ redirect: true, postLogoutRedirectUri: "https://app.example/", state: "s" });
const checked: { alg: "RS256" | "ES256"; kid: string } = await verifier.verifyIdToken("a.b.c", { jwksUri: "https://op.example/jwks" });
// @ts-expect-error silentRedirect is a boolean
await auth.restore({ silentRedirect: "yes" });
// @ts-expect-error a verifier must have verifyIdToken
await createAuthClient({ issuer: "https://op.example", clientId: "spa", verifier: {} });
void [restored, claims, checked];
