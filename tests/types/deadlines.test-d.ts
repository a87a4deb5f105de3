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
