// Caller-side cancellation: a call that waits (for a refresh another caller started, for the
// network) gives up the moment its AbortSignal fires, with the signal's reason (the
// platform's AbortError unless the caller chose another), as fetch() itself does. What it
// waited for goes on for everyone else.
import { AuthError } from "./errors.js";

/** An optional AbortSignal argument: undefined/null, or something that behaves like one. */
export function checkSignal(signal, what = "signal") {
  if (signal == null) return undefined;
  if (typeof signal.aborted !== "boolean" || typeof signal.addEventListener !== "function") {
    throw new AuthError("invalid_argument", `${what} must be an AbortSignal`);
  }
  return signal;
}

/** `promise`, or the signal's reason as soon as it aborts (whichever comes first). */
export function abortable(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
