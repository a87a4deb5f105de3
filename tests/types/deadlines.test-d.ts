// Type tests for the deadline and abort options (js/index.d.ts).
import { createAuthClient, type AuthErrorCode } from "authwasm";

const auth = await createAuthClient({ issuer: "https://idp.example", clientId: "spa", timeoutSeconds: 5 });
const controller = new AbortController();
const token: string = await auth.getAccessToken({ signal: controller.signal });
await auth.getAccessToken();
await auth.fetch("/api/posts", { signal: AbortSignal.timeout(1000) });
const code: AuthErrorCode = "timeout";
void [token, code];

// @ts-expect-error timeoutSeconds is a number of seconds
await createAuthClient({ issuer: "https://idp.example", clientId: "spa", timeoutSeconds: "5s" });
// @ts-expect-error signal is an AbortSignal
await auth.getAccessToken({ signal: true });

// DPoP options.
const memory = new Map<string, CryptoKeyPair>();
await createAuthClient({
  issuer: "https://idp.example", clientId: "spa", dpop: true,
  dpopKeyStore: { get: async (id) => memory.get(id), set: async (id, k) => void memory.set(id, k), delete: async (id) => void memory.delete(id) },
});
const dpopCode: AuthErrorCode = "invalid_dpop_proof";
void dpopCode;
// @ts-expect-error dpop is a boolean
await createAuthClient({ issuer: "https://idp.example", clientId: "spa", dpop: "on" });
