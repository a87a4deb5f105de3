// says_invalid_token: does a 401's WWW-Authenticate (RFC 7235 §4.1) blame the access token
// (RFC 6750 §3.1 error="invalid_token", or the seeds' bare `token_expired`)? A yes triggers a
// refresh, so a yes must be earned: a Bearer challenge or the bare word must be there.
// Leading/trailing whitespace and empty list elements (RFC 7230 §7) change nothing.
#include <cctype>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "oauth/www_authenticate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authwasm;
  const std::string header(reinterpret_cast<const char*>(data), size);
  const bool yes = says_invalid_token(header);
  FUZZ_CHECK(says_invalid_token(header) == yes, "deterministic");

  std::string lower;
  for (char c : header) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (yes) {
    FUZZ_CHECK(lower.find("bearer") != std::string::npos || lower.find("token_expired") != std::string::npos,
               "only a Bearer challenge or the bare token_expired triggers a refresh");
  }
  FUZZ_CHECK(says_invalid_token(" \t" + header) == yes, "leading whitespace is insignificant");
  FUZZ_CHECK(says_invalid_token(", " + header) == yes || header.empty() || header.front() == '=',
             "a leading empty list element is insignificant");
  // Another scheme's challenge in front never creates a Bearer invalid_token out of nothing.
  if (!yes) FUZZ_CHECK(!says_invalid_token("Basic realm=\"x\", " + header) || lower.find("bearer") != std::string::npos,
                       "a Basic challenge does not turn a no into a yes");
  return 0;
}
