// authwasm: browser authentication for SPAs, with its core in C++ compiled to WebAssembly.
export { init } from "./loader.js";
export { AuthError } from "./errors.js";
export { createPkcePair, pkceChallenge } from "./pkce.js";
export { decodeJwt } from "./jwt.js";
export { createAuthClient } from "./client.js";
