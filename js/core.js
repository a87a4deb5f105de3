// The one way into the wasm core: authwasm::call(op, argsJson) → {ok, ...} | {ok:false, code, message}.
import { init } from "./loader.js";
import { AuthError } from "./errors.js";

export function callCore(module, op, args) {
  const result = JSON.parse(module.call(op, JSON.stringify(args)));
  if (!result.ok) throw new AuthError(result.code, result.message);
  return result;
}

export async function call(op, args) {
  return callCore(await init(), op, args);
}
