// Embind glue, and nothing else: every function returns a plain JS object, either
// {ok: true, ...values} or {ok: false, code, message}. No exception crosses into JS (the core
// never throws); js/ turns failures into AuthError. Values, not handles: nothing needs .delete().
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "../src/jwt.hpp"
#include "../src/pkce.hpp"

using emscripten::val;
namespace aw = authwasm;

namespace {

val failure(const aw::Error& error) {
  val out = val::object();
  out.set("ok", false);
  out.set("code", std::string(aw::to_string(error.code)));
  out.set("message", error.message);
  return out;
}

val success() {
  val out = val::object();
  out.set("ok", true);
  return out;
}

val create_pkce_pair(int length) {
  auto pair = aw::create_pkce_pair(static_cast<std::size_t>(length));
  if (!pair) return failure(pair.error());
  val out = success();
  out.set("verifier", pair.value().verifier);
  out.set("challenge", pair.value().challenge);
  return out;
}

val pkce_challenge(const std::string& verifier) {
  auto challenge = aw::pkce_challenge(verifier);
  if (!challenge) return failure(challenge.error());
  val out = success();
  out.set("challenge", challenge.value());
  return out;
}

// Header and claims cross as JSON text (re-serialised from the checked parse), parsed by JS.
val decode_jwt(const std::string& token) {
  auto jwt = aw::decode_jwt(token);
  if (!jwt) return failure(jwt.error());
  val out = success();
  out.set("header", jwt.value().header.dump());
  out.set("claims", jwt.value().claims.dump());
  return out;
}

}  // namespace

EMSCRIPTEN_BINDINGS(authwasm) {
  emscripten::function("createPkcePair", &create_pkce_pair);
  emscripten::function("pkceChallenge", &pkce_challenge);
  emscripten::function("decodeJwt", &decode_jwt);
}
