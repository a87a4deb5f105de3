// Type tests for js/index.d.ts: `tsc -p tests/types` must accept the valid uses and reject
// every line marked @ts-expect-error (an unused @ts-expect-error is itself an error).
import { AuthError, createPkcePair, decodeJwt, init, pkceChallenge } from "authwasm";
import type { AuthErrorCode, PkcePair } from "authwasm";

async function uses(): Promise<void> {
  await init();
  await init({ wasmUrl: new URL("https://cdn.example/authwasm.wasm") });
  const pair: PkcePair = await createPkcePair();
  const method: "S256" = pair.method;
  const challenge: string = await pkceChallenge(pair.verifier);
  const { header, claims } = await decodeJwt("a.b.c");
  const alg: string = header.alg;
  const exp: number | undefined = claims.exp;
  void [method, challenge, alg, exp];

  try {
    await decodeJwt("x");
  } catch (e) {
    if (e instanceof AuthError) {
      const code: AuthErrorCode = e.code;
      // @ts-expect-error codes are a closed union
      const wrong: typeof e.code = "no_such_code";
      void [code, wrong];
    }
  }

  // @ts-expect-error the verifier is a string
  await pkceChallenge(42);
  // @ts-expect-error the length is a number
  await createPkcePair("64");
  // @ts-expect-error method is the literal "S256"
  const plain: "plain" = pair.method;
  void plain;
}
void uses;
