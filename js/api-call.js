// One auth.fetch call's request, sent up to three times (a refresh retry, a DPoP nonce retry)
// with the headers authwasm adds. A URL or string input goes to fetch as (input, init) with no
// Request object in between (measured: a Request and its clone cost more than the rest of
// auth.fetch); a Request input is copied once and cloned per attempt, so the caller's object
// is never changed. Bodies replay: string, Blob, ArrayBuffer, FormData and URLSearchParams are
// read afresh by every fetch. A ReadableStream body cannot be replayed without buffering it
// all, so it is sent once and its answer, 401 included, is the caller's (`replayable`).
import { checkSignal } from "./abort.js";

export class ApiCall {
  #input;
  #init;
  #request = null; // the copy of a Request input

  constructor(input, init) {
    this.#input = input;
    this.#init = init;
    if (input instanceof Request) this.#request = new Request(input, init);
    this.signal = checkSignal(init?.signal ?? this.#request?.signal, "init.signal");
    this.replayable = !(init?.body instanceof ReadableStream);
  }

  // For DPoP's htm and htu, resolved as fetch would (relative URLs against the page).
  get method() {
    return this.#request?.method ?? normalizeMethod(this.#init?.method ?? "GET");
  }

  get url() {
    return this.#request?.url ?? new URL(this.#input, globalThis.location?.href).href;
  }

  /** fetch()'s arguments for one attempt, with `headers` set over the caller's. */
  attempt(headers) {
    if (this.#input instanceof Request) {
      const request = this.#request.body ? this.#request.clone() : this.#request;
      for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
      return [request];
    }
    const own = this.#init?.headers;
    // Nothing of the caller's to merge with: authwasm's headers go as a plain record (a Headers
    // object built and filled here cost ~2.4 µs of the ~7.7 µs auth.fetch adds in Chromium).
    if (own == null) return [this.#input, { ...this.#init, headers }];
    const merged = new Headers(own);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return [this.#input, { ...this.#init, headers: merged }];
  }
}

// Fetch §2.2.1: the standard methods are upper-cased; any other is sent as written.
function normalizeMethod(method) {
  const upper = String(method).toUpperCase();
  return ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].includes(upper) ? upper : String(method);
}
