#include "oauth/www_authenticate.hpp"

#include <cctype>
#include <initializer_list>
#include <optional>
#include <string>

namespace authwasm {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_tchar(char c) {  // RFC 7230 §3.2.6 token characters
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() { skip_space(); return i_ >= s_.size(); }
  void skip_space() { while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_; }
  bool take(char c) { skip_space(); if (i_ < s_.size() && s_[i_] == c) { ++i_; return true; } return false; }
  std::string_view token() {
    skip_space();
    const std::size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // token or quoted-string (RFC 7230 §3.2.6); nullopt for an unterminated quoted-string.
  std::optional<std::string> value() {
    skip_space();
    if (i_ < s_.size() && s_[i_] == '"') {
      std::string out;
      for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        out += s_[i_];
      }
      if (i_ >= s_.size()) return std::nullopt;
      ++i_;
      return out;
    }
    return std::string(token());
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// Whether a challenge of one of `schemes` has error="<error>"; the seeds' bare `token_expired`
// counts as invalid_token.
bool has_challenge_error(std::string_view header, std::initializer_list<std::string_view> schemes,
                         std::string_view error) {
  Reader r(header);
  std::string_view scheme;
  while (!r.done()) {
    if (r.take(',')) continue;
    std::string_view name = r.token();
    if (name.empty()) return false;  // not a header we understand: do nothing
    if (r.take('=')) {  // auth-param of the current challenge
      const auto value = r.value();
      if (!value) return false;  // malformed: not a reason to act
      if (!iequals(name, "error") || *value != error) continue;
      for (auto s : schemes) {
        if (iequals(scheme, s)) return true;
      }
    } else {  // a new challenge (or token68 / the bare word)
      if (scheme.empty() && r.done() && iequals(name, "token_expired")) return error == "invalid_token";
      scheme = name;
    }
  }
  return false;
}

}  // namespace

bool says_invalid_token(std::string_view header) {
  return has_challenge_error(header, {"Bearer", "DPoP"}, "invalid_token");
}

bool says_use_dpop_nonce(std::string_view header) { return has_challenge_error(header, {"DPoP"}, "use_dpop_nonce"); }

}  // namespace authwasm
