// Every failure authwasm reports is an AuthError with a stable string `code`
// (README "Errors"); `cause` carries what lay beneath (a fetch TypeError, a server's JSON…).
export class AuthError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "AuthError";
    this.code = code;
  }
}

// Results from the wasm core are {ok: true, ...} or {ok: false, code, message}.
export function unwrap(result) {
  if (!result.ok) throw new AuthError(result.code, result.message);
  return result;
}

export function requireString(value, what) {
  if (typeof value !== "string") {
    throw new AuthError("invalid_argument", `${what} must be a string`);
  }
  return value;
}
