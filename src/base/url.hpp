// URL pieces the client needs: percent-encoding (RFC 3986 §2.1), form bodies
// (application/x-www-form-urlencoded, RFC 6749 Appendix B) and query parsing.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace authwasm {

using Params = std::vector<std::pair<std::string, std::string>>;

// Everything but the unreserved set (RFC 3986 §2.3) is percent-encoded.
std::string percent_encode(std::string_view text);
// '+' means space (form encoding); a malformed %-escape is an error.
Result<std::string> percent_decode(std::string_view text);

std::string form_encode(const Params& params);
// The same from fields that need no std::string of their own (literals, members read in place).
struct FormField {
  std::string_view name, value;
};
std::string form_encode(std::initializer_list<FormField> fields);
// One more name=value pair, '&' first unless `form` is empty.
void append_form_field(std::string& form, std::string_view name, std::string_view value);
void append_form_field(std::string& form, const char* name, const std::string& value);  // no string_views built at call sites

// The parameters of a URL's query (between '?' and '#'), decoded, in order, repeats kept.
Result<Params> parse_query(std::string_view url);

// `url` with `names` removed from its query, and its fragment dropped.
std::string remove_query_params(std::string_view url, std::initializer_list<std::string_view> names);

// scheme://authority of an absolute http(s) URL, lower-cased; nullopt when it is not one.
std::optional<std::string> url_origin(std::string_view url);
// The same for a std::string (its data and size read once, here) and a literal.
std::optional<std::string> url_origin(const std::string& url);
inline std::optional<std::string> url_origin(const char* url) { return url_origin(std::string_view(url)); }
// The URL without query and fragment.
std::string_view url_without_query(std::string_view url);
// An absolute http(s) URL whose host is not a bare scheme; https, or http only on loopback.
bool is_acceptable_endpoint(std::string_view url);
bool is_acceptable_endpoint(const std::string& url);
inline bool is_acceptable_endpoint(const char* url) { return is_acceptable_endpoint(std::string_view(url)); }

// An endpoint option: absolute URLs stay as they are; "/path" is appended to the issuer.
std::string resolve_endpoint(std::string_view issuer, std::string_view endpoint);

}  // namespace authwasm
