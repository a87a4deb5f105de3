'use client';
// authwasm/react: React (>= 18) bindings for the authwasm client (docs/react.md).
// Shipped unbuilt, hence React.createElement instead of JSX. Safe to import during
// server-side rendering: nothing here touches window, document or location until an effect
// runs in a browser; on the server the provider renders its loading state.
import * as React from "react";
import { AuthError, createAuthClient } from "./index.js";

const { createContext, createElement, useContext, useEffect, useMemo, useRef, useState,
        useSyncExternalStore } = React;

const LOADING = Object.freeze({ isLoading: true, isAuthenticated: false, user: null, error: null });

/** Default callback detection: RFC 6749 §4.1.2 (`code`) or §4.1.2.1 (`error`), with `state`. */
export function hasAuthParams(url) {
  const params = url.searchParams;
  return (params.has("code") || params.has("error")) && params.has("state");
}

// Every error the provider shows is an AuthError; anything else (a throwing isRedirectCallback,
// say) is a bug in the app, which the README's "configuration" code stands for.
function asAuthError(error) {
  if (error instanceof AuthError) return error;
  return new AuthError("configuration", `authwasm/react: ${error?.message ?? error}`, { cause: error });
}

function authenticated(client) {
  try {
    return client.isAuthenticated;
  } catch {
    return false; // closed
  }
}

// ------------------------------------------------------------------ one store per client
// Module-level, so StrictMode's remounts and several providers of one client agree. The
// snapshot is rebuilt from the client's public state on each of its events, which also fire
// for what other tabs did (login/logout/refresh with source or reason "other_tab").
const stores = new WeakMap();

function storeOf(client) {
  let store = stores.get(client);
  if (!store) stores.set(client, (store = new ClientStore(client)));
  return store;
}

class ClientStore {
  #client;
  #snapshot;
  #settled;
  #error = null;
  #listeners = new Set();
  #unsubscribe = null;

  constructor(client) {
    this.#client = client;
    this.#settled = authenticated(client); // an app that restored before rendering
    this.#snapshot = this.#read();
  }

  get settled() {
    return this.#settled;
  }

  getSnapshot = () => this.#snapshot;

  subscribe = (listener) => {
    this.#listeners.add(listener);
    if (!this.#unsubscribe) {
      const offs = [
        this.#client.on("login", () => this.#update(null)),
        this.#client.on("logout", () => this.#update()),
        this.#client.on("refresh", () => this.#update()),
        this.#client.on("error", ({ error }) => this.#update(asAuthError(error))),
      ];
      this.#unsubscribe = () => offs.forEach((off) => off());
      this.#update(); // whatever happened while nobody listened
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#unsubscribe) {
        this.#unsubscribe();
        this.#unsubscribe = null;
      }
    };
  };

  /** The initial restore or callback is over; `error` is its failure or null. */
  settle(error) {
    this.#settled = true;
    this.#update(error);
  }

  #read() {
    const isAuthenticated = authenticated(this.#client);
    return { isLoading: !this.#settled, isAuthenticated,
             user: isAuthenticated ? this.#client.user ?? null : null, error: this.#error };
  }

  #update(error = this.#error) {
    this.#error = error;
    const next = this.#read();
    const now = this.#snapshot;
    if (next.isLoading === now.isLoading && next.isAuthenticated === now.isAuthenticated &&
        next.user === now.user && next.error === now.error) return;
    this.#snapshot = next;
    for (const listener of this.#listeners) listener();
  }
}

const NO_CLIENT = { subscribe: () => () => {}, getSnapshot: () => LOADING };

// ------------------------------------------------------------------ start: once per client
// The redirect callback must be handled exactly once: its transaction is consumed on first
// use, so a second handleRedirectCallback() (StrictMode runs effects twice) would answer
// state_mismatch, the "invalid state" loop of auth0-react #310/#343. The memo is per client
// rather than per client + URL because handleRedirectCallback() cleans the address bar
// synchronously: a second effect run would see a plain URL and start a restore() beside the
// code exchange.
const starts = new WeakMap();

function startOnce(client, { isRedirectCallback, restoreOptions }) {
  let started = starts.get(client);
  if (!started) {
    started = start(client, isRedirectCallback, restoreOptions);
    started.catch(() => {}); // reported through the store, never as an unhandled rejection
    starts.set(client, started);
  }
  return started;
}

async function start(client, isRedirectCallback, restoreOptions) {
  if (authenticated(client)) return { callback: null };
  const href = globalThis.location?.href;
  if (href && isRedirectCallback(new URL(href))) {
    try {
      return { callback: await client.handleRedirectCallback(href) };
    } catch (error) {
      // A replayed or forged callback (state_mismatch…) must not sign out a user whose session
      // is alive: restore it (never a silent redirect here); `error` stays set either way.
      await client.restore().catch(() => {});
      throw error;
    }
  }
  await client.restore(restoreOptions);
  return { callback: null };
}

const delivered = new WeakSet(); // callback results already given to an onRedirectCallback

function defaultOnRedirectCallback(returnTo) {
  const { location, history } = globalThis;
  if (!location || !history || !returnTo) return;
  if (returnTo !== location.pathname + location.search + location.hash) history.replaceState(history.state, "", returnTo);
}

// ------------------------------------------------------------------ owning a client
// <AuthProvider options>: one client for the provider's life. StrictMode unmounts and
// remounts synchronously within one commit, so closing is deferred by a microtask and
// cancelled by the remount; a real unmount closes it.
function own(options) {
  const ownership = { client: null, closed: false, releasing: false };
  ownership.promise = createAuthClient(options).then((client) => {
    if (ownership.closed) client.close();
    ownership.client = client;
    return client;
  });
  ownership.promise.catch(() => {});
  ownership.release = () => {
    ownership.releasing = true;
    queueMicrotask(() => {
      if (!ownership.releasing) return;
      ownership.closed = true;
      ownership.client?.close();
    });
  };
  return ownership;
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function useOwnedClient(options, ready) {
  const [owned, setOwned] = useState({ client: null, error: null });
  const ownership = useRef(null);
  useEffect(() => {
    if (!options) return undefined;
    let current = ownership.current;
    if (current && !current.closed) {
      current.releasing = false; // StrictMode's remount: keep the client
    } else {
      if (current) ready.current = deferred(); // shown again after a real close (Activity)
      current = ownership.current = own(options);
    }
    let live = true;
    const waiting = ready.current;
    current.promise.then(
      (client) => { waiting.resolve(client); if (live) setOwned({ client, error: null }); },
      (error) => { waiting.reject(error); if (live) setOwned({ client: null, error: asAuthError(error) }); });
    return () => {
      live = false;
      current.release();
    };
  }, []); // options are read once: give the provider a new `key` to start over with others
  return owned;
}

// ------------------------------------------------------------------ the provider
const AuthContext = createContext(null);
AuthContext.displayName = "AuthContext";

export function AuthProvider({ options, client: given, children, onRedirectCallback,
                               isRedirectCallback = hasAuthParams, restoreOptions }) {
  if (!options === !given) {
    throw new AuthError("invalid_argument", "<AuthProvider> takes either `options` or `client`, not both or neither");
  }
  const ready = useRef(null); // an `options` provider's client, once it exists
  if (!ready.current) ready.current = deferred();
  const latest = useRef(null);
  latest.current = { given, isRedirectCallback, restoreOptions, onRedirectCallback };

  const owned = useOwnedClient(given ? null : options, ready);
  const client = given ?? owned.client;
  const store = client ? storeOf(client) : NO_CLIENT;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

  useEffect(() => {
    if (!client) return undefined;
    let live = true;
    startOnce(client, latest.current).then(({ callback }) => {
      if (!live) return;
      try {
        if (callback && !delivered.has(callback)) {
          delivered.add(callback);
          (latest.current.onRedirectCallback ?? defaultOnRedirectCallback)(callback.returnTo, callback);
        }
      } finally {
        storeOf(client).settle(null);
      }
    }, (error) => live && storeOf(client).settle(asAuthError(error)));
    return () => { live = false; };
  }, [client]);

  // Stable across renders; each waits for the client and its first restore or callback, so
  // a call made while loading behaves as it will afterwards.
  const actions = useMemo(() => {
    const settledClient = async () => {
      const c = latest.current.given ?? await ready.current.promise;
      await startOnce(c, latest.current).catch(() => {});
      return c;
    };
    const forward = (name) => async (...args) => (await settledClient())[name](...args);
    return Object.fromEntries(["login", "loginWithPassword", "logout", "getAccessToken", "fetch"]
      .map((name) => [name, forward(name)]));
  }, []);

  const state = owned.error ? { ...LOADING, isLoading: false, error: owned.error } : snapshot;
  const value = useMemo(() => ({ ...state, ...actions, client }),
                        [state.isLoading, state.isAuthenticated, state.user, state.error, client]);
  return createElement(AuthContext.Provider, { value }, children);
}

export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new AuthError("configuration", "useAuth() needs an <AuthProvider> above it");
  return value;
}

// ------------------------------------------------------------------ guarding a subtree
// While nobody is logged in: one login() per mount (StrictMode's second effect run finds the
// ref set), returning to the current path, query and hash. Never while `error` is set: a
// callback that failed (access_denied, login_required…) would otherwise send the user
// straight back to the provider, in a loop.
export function RequireAuth({ children, fallback = null, loginOptions, onError }) {
  const { isLoading, isAuthenticated, error, login } = useAuth();
  const [loginError, setLoginError] = useState(null);
  const redirected = useRef(false);
  const failure = error ?? loginError;
  useEffect(() => {
    if (isLoading || isAuthenticated || failure || redirected.current) return;
    redirected.current = true;
    const { location } = globalThis;
    const returnTo = location ? location.pathname + location.search + location.hash : undefined;
    login({ returnTo, ...loginOptions }).catch((e) => {
      redirected.current = false;
      setLoginError(asAuthError(e));
    });
  }, [isLoading, isAuthenticated, failure]);
  if (isAuthenticated) return children ?? null;
  if (failure && onError) return onError(failure);
  return fallback;
}

export function withAuthenticationRequired(Component, options = {}) {
  const name = Component.displayName || Component.name || "Component";
  function WithAuthenticationRequired(props) {
    return createElement(RequireAuth, options, createElement(Component, props));
  }
  WithAuthenticationRequired.displayName = `withAuthenticationRequired(${name})`;
  return WithAuthenticationRequired;
}
