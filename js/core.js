// The one way into the wasm core: authwasm::call(op, argsJson) → {ok, ...} | {ok:false, code, message}.
import { init } from "./loader.js";
import { AuthError } from "./errors.js";

export function callCore(module, op, args) {
  const result = JSON.parse(module.call(op, JSON.stringify(args)));
  if (!result.ok) {
    // A refused server answer: its status and Retry-After go along as the error's cause.
    const response = args?.response;
    const cause = response ? { status: response.status, retryAfter: response.retryAfter } : undefined;
    throw new AuthError(result.code, result.message, cause ? { cause } : undefined);
  }
  return result;
}

export async function call(op, args) {
  return callCore(await init(), op, args);
}
