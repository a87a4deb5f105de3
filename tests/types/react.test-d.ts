// Type tests for js/react.d.ts ("authwasm/react"): `tsc -p tests/types` must accept the valid
// uses and reject every line marked @ts-expect-error.
import { createElement, type ReactNode } from "react";
import { createAuthClient } from "authwasm";
import type { AuthError, AuthUser, CallbackResult } from "authwasm";
import {
  AuthProvider, RequireAuth, hasAuthParams, useAuth, withAuthenticationRequired,
} from "authwasm/react";
import type { AuthContextValue, AuthProviderProps, AuthState, RequireAuthOptions } from "authwasm/react";

const options = { issuer: "https://auth.example", clientId: "spa" };

async function providers(): Promise<ReactNode[]> {
  const client = await createAuthClient(options);
  const onRedirectCallback = (returnTo: string, result: CallbackResult) => void [returnTo, result.user.sub];
  const withOptions: AuthProviderProps = { options, onRedirectCallback, children: "app" };
  const withClient: AuthProviderProps = {
    client, isRedirectCallback: (url: URL) => url.pathname === "/callback" && hasAuthParams(url),
    restoreOptions: { silentRedirect: true },
  };
  // @ts-expect-error options or client, not both
  const both: AuthProviderProps = { options, client };
  // @ts-expect-error one of them is required
  const neither: AuthProviderProps = { children: "app" };
  // @ts-expect-error the options are checked like createAuthClient's
  const badOptions: AuthProviderProps = { options: { issuer: "https://auth.example" } };
  // @ts-expect-error onRedirectCallback gets the returnTo string first
  const badCallback: AuthProviderProps = { options, onRedirectCallback: (n: number) => n };
  void [both, neither, badOptions, badCallback];
  return [
    createElement(AuthProvider, withOptions),
    createElement(AuthProvider, withClient, "children"),
    AuthProvider({ client, children: "app" }),
  ];
}

async function hook(): Promise<void> {
  const auth: AuthContextValue = useAuth();
  const state: AuthState = auth;
  const loading: boolean = state.isLoading;
  const user: AuthUser | null = auth.user;
  const error: AuthError | null = auth.error;
  if (error) {
    const code: "state_mismatch" | string = error.code;
    void code;
  }
  await auth.login({ returnTo: "/posts", prompt: "login" });
  const me: AuthUser = await auth.loginWithPassword("ada", "pw");
  await auth.logout({ everywhere: true });
  const token: string = await auth.getAccessToken();
  await auth.getAccessToken({ signal: AbortSignal.timeout(1000) });
  const res: Response = await auth.fetch("/api/posts", { method: "GET" });
  const client = auth.client;
  if (client) void client.session().refreshCount;
  void [loading, user, me, token, res];

  // @ts-expect-error the state is read-only
  auth.isAuthenticated = true;
  // @ts-expect-error user may be null
  const sub: string = auth.user.sub;
  // @ts-expect-error loginWithPassword needs a password
  await auth.loginWithPassword("ada");
  // @ts-expect-error login options are LoginOptions
  await auth.login({ returnTo: 42 });
  void sub;
}

function guards(): ReactNode[] {
  const guard: RequireAuthOptions = {
    fallback: "checking…", loginOptions: { returnTo: "/admin" },
    onError: (e: AuthError) => createElement("p", null, e.code),
  };
  const Page = (props: { id: number }) => createElement("p", null, props.id);
  const Guarded = withAuthenticationRequired(Page, guard);
  // @ts-expect-error onError receives an AuthError and must return a node
  const badGuard: RequireAuthOptions = { onError: (e: AuthError) => ({ code: e.code }) };
  void badGuard;
  return [
    createElement(RequireAuth, guard, "secret"),
    createElement(RequireAuth, null, "secret"),
    createElement(Guarded, { id: 1 }),
    // @ts-expect-error the wrapped component keeps its props
    createElement(Guarded, { id: "1" }),
  ];
}

// @ts-expect-error hasAuthParams takes a URL, not a string
hasAuthParams("https://app.example/callback?code=c&state=s");

void [providers, hook, guards];
