// Every failure authwasm reports is an AuthError with a stable string `code`
// (README "Errors"); `cause` carries what lay beneath (a fetch TypeError, a server's JSON…).
export class AuthError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "AuthError";
    this.code = code;
  }
}

export function requireType(value, type, what) {
  if (typeof value !== type) throw new AuthError("invalid_argument", `${what} must be a ${type}`);
  return value;
}
