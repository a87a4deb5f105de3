// Hand-written types for "authwasm/react" (tests/types/react.test-d.ts checks them with tsc).
import type { ComponentType, ReactNode } from "react";
import type {
  AuthClient, AuthClientOptions, AuthError, AuthUser, CallbackResult, LoginOptions, RestoreOptions,
} from "./index.js";

/** What the provider knows; every field re-renders its consumers when it changes. */
export interface AuthState {
  /** True until the first restore() or redirect callback has settled (always true on the server). */
  readonly isLoading: boolean;
  readonly isAuthenticated: boolean;
  readonly user: AuthUser | null;
  /**
   * The last failure: of the client's creation, of the first restore() or callback (e.g.
   * `state_mismatch`, `access_denied`), or one the client reported with its "error" event.
   * Cleared by the next login.
   */
  readonly error: AuthError | null;
}

/**
 * useAuth()'s value. The functions are the client's (same arguments, same answers); they keep
 * their identity across renders and wait for the client and its first restore or callback.
 */
export interface AuthContextValue extends AuthState {
  readonly login: AuthClient["login"];
  readonly loginWithPassword: AuthClient["loginWithPassword"];
  readonly logout: AuthClient["logout"];
  readonly getAccessToken: AuthClient["getAccessToken"];
  readonly fetch: AuthClient["fetch"];
  /** The client itself (null while an `options` provider is still creating it). */
  readonly client: AuthClient | null;
}

interface AuthProviderCommonProps {
  children?: ReactNode;
  /**
   * Called once after a successful redirect callback, with the `returnTo` given to login().
   * Default: `history.replaceState` to it. With a router, navigate with the router instead.
   */
  onRedirectCallback?: (returnTo: string, result: CallbackResult) => void;
  /** Whether the page's URL is a redirect callback. Default: {@link hasAuthParams}. */
  isRedirectCallback?: (url: URL) => boolean;
  /** Passed to the first restore(), e.g. `{ silentRedirect: true }` in memory mode. */
  restoreOptions?: RestoreOptions;
}

export type AuthProviderProps = AuthProviderCommonProps & (
  /** The provider creates the client once (read once: change `key` to start over) and closes it on unmount. */
  | { options: AuthClientOptions; client?: undefined }
  /** An app-owned client: the provider never closes it. */
  | { client: AuthClient; options?: undefined }
);

export declare function AuthProvider(props: AuthProviderProps): ReactNode;

/** The nearest provider's state and functions; throws AuthError `configuration` without one. */
export declare function useAuth(): AuthContextValue;

/** True when the URL carries `code` or `error`, and `state` (RFC 6749 §4.1.2, §4.1.2.1). */
export declare function hasAuthParams(url: URL): boolean;

export interface RequireAuthOptions {
  /** Rendered while loading and while redirecting to the login page. Default: nothing. */
  fallback?: ReactNode;
  /** Passed to login(); `returnTo` defaults to the current path, query and hash. */
  loginOptions?: LoginOptions;
  /**
   * Rendered instead of redirecting when `error` is set (no redirect then: a failed callback
   * would loop). Default: `fallback`.
   */
  onError?: (error: AuthError) => ReactNode;
}

export interface RequireAuthProps extends RequireAuthOptions {
  children?: ReactNode;
}

/** Renders its children when someone is logged in; otherwise calls login() once. */
export declare function RequireAuth(props: RequireAuthProps): ReactNode;

/** `Component` wrapped in {@link RequireAuth}, with the same props. */
export declare function withAuthenticationRequired<P extends object>(
  Component: ComponentType<P>, options?: RequireAuthOptions): ComponentType<P>;
