// "authwasm/dpop": DPoP (RFC 9449) for createAuthClient, opt-in by import, as the verifier is:
//
//   import { dpop } from "authwasm/dpop";
//   const auth = await createAuthClient({ ..., dpop });
//
// The core's DPoP operations are in a build of their own (dist/authwasm-dpop.wasm: the whole
// core with them; CMakeLists.txt "core module"), so apps that never import this file never
// download them (2.2 KB gzip of wasm, and this file).
//
// DPoP keys: one non-extractable WebCrypto ECDSA P-256 key pair per (issuer, clientId), shared
// by every tab of the profile through IndexedDB (a CryptoKeyPair is structured-cloneable; its
// private half can sign but never be exported). The core builds each proof
// (src/jose/dpop.cpp); this file only signs the signing input it returns.
//
// The key is created under a cross-tab lock, so tabs starting together never make two.
// Logout deletes it; the next login makes a new one. Where IndexedDB is missing or refuses
// (Node, some private modes) the key lives in this tab's memory only (README "DPoP").
import createAuthwasmModule from "../dist/authwasm.js"; // the DPoP build's glue too (CMakeLists.txt)
import { AuthError } from "./errors.js";
import { createWasmLoader } from "./wasm-loader.js";

const DB_NAME = "authwasm";
const STORE = "dpop-keys";

/** The default key store in browsers: IndexedDB "authwasm" / "dpop-keys". */
export function indexedDbKeyStore(idb = globalThis.indexedDB) {
  const open = () => new Promise((resolve, reject) => {
    const request = idb.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("IndexedDB open blocked"));
  });
  const run = async (mode, operation) => {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = operation(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  };
  return {
    get: (id) => run("readonly", (store) => store.get(id)),
    set: (id, keyPair) => run("readwrite", (store) => store.put(keyPair, id)),
    delete: (id) => run("readwrite", (store) => store.delete(id)),
  };
}

/** A key store in this tab's memory: the default where IndexedDB is missing. */
export function memoryKeyStore() {
  const keys = new Map();
  return {
    get: async (id) => keys.get(id),
    set: async (id, keyPair) => void keys.set(id, keyPair),
    delete: async (id) => void keys.delete(id),
  };
}

function checkStore(store) {
  for (const name of ["get", "set", "delete"]) {
    if (typeof store?.[name] !== "function") throw new AuthError("configuration", `dpopKeyStore.${name} must be a function`);
  }
  return store;
}

/** What createAuthClient's `dpop` option takes (js/client.js checks the shape). */
export const dpop = Object.freeze({
  /** The DPoP build's memoised init() (init()'s options, for unusual hosting). */
  init: createWasmLoader({
    factory: createAuthwasmModule,
    // A literal, so that bundlers emit the wasm and rewrite this line (js/wasm-loader.js).
    defaultWasmUrl: () => new URL("../dist/authwasm-dpop.wasm", import.meta.url),
    label: "authwasm/dpop",
  }),
  /** @param {{ id: string, store?: object, locks?: object|null }} options */
  keys: (options) => new DpopKeys(options),
});

class DpopKeys {
  #id;
  #store;
  #fallback = null; // the memory store, once the given one refused
  #locks;
  #subtle;
  #current = null;  // { keyPair, jwk } once loaded or made

  /** @param {{ id: string, store?: object, locks?: object|null }} options */
  constructor({ id, store, locks }) {
    this.#id = id;
    this.#subtle = globalThis.crypto?.subtle;
    if (!this.#subtle) throw new AuthError("configuration", "DPoP needs WebCrypto (crypto.subtle): a secure context");
    this.#store = store == null
      ? (globalThis.indexedDB ? indexedDbKeyStore() : memoryKeyStore())
      : checkStore(store);
    this.#locks = locks;
  }

  // A store that throws (IndexedDB refused) is replaced by memory for the rest of this tab.
  async #stored(operation) {
    if (!this.#fallback) {
      try {
        return await operation(this.#store);
      } catch {
        this.#fallback = memoryKeyStore();
      }
    }
    return operation(this.#fallback);
  }

  /** The key pair and its public JWK ({kty, crv, x, y}), made once for the whole profile. */
  async key() {
    if (this.#current) return this.#current;
    const loadOrMake = async () => {
      let keyPair = await this.#stored((s) => s.get(this.#id));
      if (!keyPair?.privateKey || !keyPair?.publicKey) {
        keyPair = await this.#subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
        await this.#stored((s) => s.set(this.#id, keyPair));
      }
      return keyPair;
    };
    const keyPair = this.#locks
      ? await this.#locks.request(`authwasm:dpop-key:${this.#id}`, loadOrMake)
      : await loadOrMake();
    const { kty, crv, x, y } = await this.#subtle.exportKey("jwk", keyPair.publicKey);
    this.#current ??= { keyPair, jwk: { kty, crv, x, y } };
    return this.#current;
  }

  /** ECDSA P-256 SHA-256 over the ASCII signing input: the 64-byte r‖s a JWS wants. */
  async sign(signingInput) {
    const { keyPair } = await this.key();
    const signature = await this.#subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keyPair.privateKey,
      new TextEncoder().encode(signingInput));
    return [...new Uint8Array(signature)];
  }

  /** Another tab logged out and deleted the key: drop this tab's reference. */
  forget() {
    this.#current = null;
  }

  /** Logout: the key is gone for every tab of the profile. */
  async destroy() {
    this.#current = null;
    await this.#stored((s) => s.delete(this.#id)).catch(() => {});
  }
}
