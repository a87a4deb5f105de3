// Results with stable error codes: nothing in the core throws (it is built with
// -fno-exceptions), and the bindings hand `code` to JS, where it becomes AuthError.code.
#pragma once
#include <string>
#include <utility>
#include <new>

namespace authwasm {

// The codes are part of the public API (README "Errors"); never renumber or rename one.
enum class ErrorCode {
  invalid_argument,       // a caller passed something out of range (e.g. verifier length)
  invalid_base64url,      // RFC 4648 §5 decode failed
  invalid_json,           // not JSON, too deep, or a duplicate member name
  invalid_jwt,            // RFC 7519 §7.2 structure checks failed
  random_unavailable,     // the OS CSPRNG did not answer
  configuration,          // client options are wrong or inconsistent
  state_mismatch,         // callback state unknown, replayed or forged (RFC 6749 §10.12)
  iss_mismatch,           // callback iss is not our issuer (RFC 9207 §2.4)
  invalid_callback,       // callback parameters missing or repeated (RFC 6749 §3.1)
  login_required,         // prompt=none without a provider session (OIDC Core §3.1.2.6)
  access_denied,          // RFC 6749 §4.1.2.1
  authorization_error,    // any other error= in a callback
  invalid_response,       // a server answer that is malformed, mistyped or too large
  invalid_id_token,       // ID token claim checks failed (OIDC Core §3.1.3.7, §12.2)
  invalid_grant,          // the server definitively refused the grant (RFC 6749 §5.2)
  server_error,           // 5xx or an error the client cannot act on
  network,                // the request never got an answer (reported by JS)
  not_authenticated,      // no session for an operation that needs one
  invalid_dpop_proof,     // the server refused our DPoP proof, or kept asking for a nonce (RFC 9449)
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

// A value or an Error; a tiny stand-in for C++23 std::expected. A tagged union rather than
// std::variant: the variant's generic visitation (copy, move, destroy through index tables)
// expanded at every Result type and cost ~0.4 KB of wasm.
template <class T>
class Result {
 public:
  Result(T&& value) : ok_(true) { new (&value_) T(std::move(value)); }       // NOLINT: implicit on purpose
  Result(const T& value) : ok_(true) { new (&value_) T(value); }             // NOLINT
  // An Error by reference (moved or copied in place): `return other.error();` builds no
  // temporary Error to destroy at its call site.
  Result(Error&& error) : ok_(false) { new (&error_) Error(std::move(error)); }  // NOLINT
  Result(const Error& error) : ok_(false) { new (&error_) Error(error); }      // NOLINT
  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) new (&value_) T(other.value_);
    else new (&error_) Error(other.error_);
  }
  Result(Result&& other) noexcept : ok_(other.ok_) {
    if (ok_) new (&value_) T(std::move(other.value_));
    else new (&error_) Error(std::move(other.error_));
  }
  Result& operator=(Result other) noexcept {
    if (this != &other) {
      this->~Result();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  ~Result() {
    if (ok_) value_.~T();
    else error_.~Error();
  }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const& { return value_; }
  T& value() & { return value_; }
  T&& value() && { return std::move(value_); }
  const Error& error() const { return error_; }

 private:
  bool ok_;
  union {
    T value_;
    Error error_;
  };
};

inline Error make_error(ErrorCode code, std::string&& message) { return Error{code, std::move(message)}; }
inline Error make_error(ErrorCode code, const std::string& message) { return Error{code, message}; }
// For a literal message: out of line, so a call site passes a pointer instead of expanding
// std::string's constructor.
Error make_error(ErrorCode code, const char* message);

}  // namespace authwasm
