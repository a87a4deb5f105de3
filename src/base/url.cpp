#include "base/url.hpp"

#include <algorithm>
#include <cctype>

namespace authwasm {
namespace {

bool is_unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls `visit` with each non-empty name=value piece of the URL's query (between '?' and '#').
template <class Visit>
void for_each_query_piece(std::string_view url, Visit visit) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return;
  std::string_view query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!piece.empty()) visit(piece);
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return make_error(ErrorCode::invalid_callback, "malformed percent-encoding");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void append_form_field(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form += '&';
  form += percent_encode(name);
  form += '=';
  form += percent_encode(value);
}

void append_form_field(std::string& form, const char* name, const std::string& value) {
  append_form_field(form, std::string_view(name), std::string_view(value));
}

std::string form_encode(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) append_form_field(out, name, value);
  return out;
}

std::string form_encode(std::initializer_list<FormField> fields) {
  std::string out;
  for (const auto& field : fields) append_form_field(out, field.name, field.value);
  return out;
}

Result<Params> parse_query(std::string_view url) {
  Params params;
  std::optional<Error> failure;
  for_each_query_piece(url, [&](std::string_view piece) {
    const auto eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1));
    if (!name || !value) {
      if (!failure) failure = name ? value.error() : name.error();
      return;
    }
    params.emplace_back(std::move(name).value(), std::move(value).value());
  });
  if (failure) return *failure;
  return params;
}

std::string remove_query_params(std::string_view url, std::initializer_list<std::string_view> names) {
  std::string kept;
  for_each_query_piece(url, [&](std::string_view piece) {
    auto name = percent_decode(piece.substr(0, piece.find('=')));
    if (name && std::find(names.begin(), names.end(), name.value()) != names.end()) return;
    kept += kept.empty() ? "?" : "&";
    kept += piece;
  });
  return std::string(url_without_query(url)) + kept;
}

std::string_view url_without_query(std::string_view url) {
  return url.substr(0, std::min(url.find('?'), url.find('#')));
}

std::optional<std::string> url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") return std::nullopt;
  const auto rest = url.substr(scheme_end + 3);
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  return scheme + "://" + lower(authority);
}

bool is_acceptable_endpoint(std::string_view url) {
  auto origin = url_origin(url);
  if (!origin) return false;
  if (origin->compare(0, 8, "https://") == 0) return true;
  // RFC 8252 §8.3 / W3C Secure Contexts: loopback http is acceptable for development.
  const std::string host = origin->substr(7);
  return host.compare(0, 9, "127.0.0.1") == 0 || host.compare(0, 9, "localhost") == 0 ||
         host.compare(0, 5, "[::1]") == 0;
}

std::optional<std::string> url_origin(const std::string& url) { return url_origin(std::string_view(url)); }
bool is_acceptable_endpoint(const std::string& url) { return is_acceptable_endpoint(std::string_view(url)); }

std::string resolve_endpoint(std::string_view issuer, std::string_view endpoint) {
  if (url_origin(endpoint)) return std::string(endpoint);
  std::string base(issuer);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(endpoint);
}

}  // namespace authwasm
