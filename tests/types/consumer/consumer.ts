// A TypeScript app using the installed package by name (tests/consumers/hygiene.test.js copies
// this folder next to the `npm pack` tarball installed in a scratch app and runs tsc with
// moduleResolution bundler and node16). It must compile without errors.
import { AuthError, createAuthClient, createPkcePair, init } from "authwasm";
import type { AuthClient, AuthErrorCode, PkcePair } from "authwasm";
import { dpop } from "authwasm/dpop";
import { loadVerifier } from "authwasm/verify";
import type { IdTokenVerifier } from "authwasm/verify";
// The esbuild/Rollup recipe (docs/toolchains.md); wasm-assets.d.ts types the file import.
import wasmUrl from "authwasm/authwasm.wasm";

export async function start(): Promise<AuthClient> {
  await init({ wasmUrl });
  const pair: PkcePair = await createPkcePair();
  const verifier: IdTokenVerifier = await loadVerifier({ wasmUrl: new URL("/authwasm-verify.wasm", location.href) });
  void [pair.challenge, verifier];
  try {
    await dpop.init({ wasmUrl: new URL("/authwasm-dpop.wasm", location.href) });
    return await createAuthClient({ issuer: location.origin, clientId: "app", redirectUri: `${location.origin}/callback`, dpop });
  } catch (error) {
    const code: AuthErrorCode | undefined = error instanceof AuthError ? error.code : undefined;
    throw new Error(`login setup failed: ${code}`);
  }
}
