// Type tests for the deadline and abort options (js/index.d.ts).
import { createAuthClient, type AuthErrorCode } from "authwasm";
import { dpop } from "authwasm/dpop";

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

// DPoP options (opt-in by import).
const memory = new Map<string, CryptoKeyPair>();
await dpop.init({ wasmUrl: "/assets/authwasm-dpop.wasm" });
await createAuthClient({
  issuer: "https://idp.example", clientId: "spa", dpop,
  dpopKeyStore: { get: async (id) => memory.get(id), set: async (id, k) => void memory.set(id, k), delete: async (id) => void memory.delete(id) },
});
const dpopCode: AuthErrorCode = "invalid_dpop_proof";
void dpopCode;
await createAuthClient({ issuer: "https://idp.example", clientId: "spa", dpop: false });
// @ts-expect-error dpop is the object of "authwasm/dpop", not a flag
await createAuthClient({ issuer: "https://idp.example", clientId: "spa", dpop: true });
// @ts-expect-error dpop is the object of "authwasm/dpop"
await createAuthClient({ issuer: "https://idp.example", clientId: "spa", dpop: "on" });
