#include "oauth/client_config.hpp"

#include <algorithm>

#include "base/url.hpp"

namespace authwasm {
namespace {

Error config_error(const char* message) { return make_error(ErrorCode::configuration, message); }
Error config_error(std::string&& message) { return make_error(ErrorCode::configuration, std::move(message)); }

}  // namespace

Result<long long> parse_timeout_ms(const Json& options) {
  if (!options.is_object() || !options.contains("timeoutSeconds")) return kDefaultTimeoutMs;
  auto seconds = get_number(options, "timeoutSeconds");
  if (!seconds || !(*seconds > 0) || *seconds > 300) return config_error("timeoutSeconds must be a number, 0 < s <= 300");
  return std::max(1LL, static_cast<long long>(*seconds * 1000));
}

Result<ClientConfig> parse_client_config(const Json& options) {
  if (!options.is_object()) return config_error("options must be an object");
  ClientConfig config;

  const std::string* issuer = find_string(options, "issuer");
  if (!issuer || !is_acceptable_endpoint(*issuer) || issuer->find_first_of("?#") != std::string::npos) {
    return config_error("issuer must be an https URL (http only on loopback) without query or fragment");
  }
  config.issuer = *issuer;

  const std::string* client_id = find_string(options, "clientId");
  if (!client_id || client_id->empty()) return config_error("clientId is required");
  config.client_id = *client_id;

  if (const std::string* redirect_uri = find_string(options, "redirectUri")) {
    if (!url_origin(*redirect_uri) || redirect_uri->find('#') != std::string::npos) {
      return config_error("redirectUri must be an absolute http(s) URL without a fragment (RFC 6749 §3.1.2)");
    }
    config.redirect_uri = *redirect_uri;
  } else if (options.contains("redirectUri") && !options["redirectUri"].is_null()) {
    return config_error("redirectUri must be a string");
  }

  if (options.contains("scope")) {
    const std::string* scope = find_string(options, "scope");
    if (!scope) return config_error("scope must be a string");
    config.scope = *scope;
  }

  const std::string refresh = options.contains("refresh") ? string_or_empty(options, "refresh") : "cookie";
  if (refresh == "cookie") config.refresh = RefreshMode::cookie;
  else if (refresh == "memory") config.refresh = RefreshMode::memory;
  else return config_error("refresh must be \"cookie\" or \"memory\"");

  if (options.contains("leewaySeconds")) {
    auto leeway = get_number(options, "leewaySeconds");
    if (!leeway || *leeway < 0 || *leeway > 600) return config_error("leewaySeconds must be 0..600");
    config.leeway_ms = static_cast<long long>(*leeway * 1000);
  }
  auto timeout = parse_timeout_ms(options);
  if (!timeout) return timeout.error();
  config.timeout_ms = timeout.value();
  if (options.contains("maxResponseBytes")) {
    auto cap = get_number(options, "maxResponseBytes");
    if (!cap || *cap < 1024 || *cap > 16 * 1024 * 1024) return config_error("maxResponseBytes must be 1024..16777216");
    config.max_response_bytes = static_cast<std::size_t>(*cap);
  }
  // Flags: absent is false; anything but true or false is refused (nlohmann's value() would
  // abort the module on a string: its get<bool> throws, and exceptions are off).
  const std::pair<const char*, bool ClientConfig::*> flags[] = {
      {"skipIssuerCheck", &ClientConfig::skip_issuer_check},
      {"dpop", &ClientConfig::dpop},
      {"requireIssInCallback", &ClientConfig::require_iss_in_callback},
  };
  for (const auto& [name, member] : flags) {
    if (options.contains(name) && !options[name].is_boolean()) return config_error(std::string(name) + " must be a boolean");
    config.*member = get_true(options, name);
  }

  // Endpoints: the reference server's contract by default (DESIGN.md §2), each overridable.
  const Json no_endpoints = Json(Json::value_t::object);
  const Json& given = options.contains("endpoints") ? options["endpoints"] : no_endpoints;
  if (!given.is_object()) return config_error("endpoints must be an object");
  struct Slot { const char* name; std::string Endpoints::*member; const char* fallback; };
  const Slot slots[] = {
      {"authorization", &Endpoints::authorization, "/authorize"},
      {"token", &Endpoints::token, "/token"},
      {"login", &Endpoints::login, "/auth/login"},
      {"refresh", &Endpoints::refresh, "/auth/refresh"},
      {"logout", &Endpoints::logout, "/auth/logout"},
      {"logoutAll", &Endpoints::logout_all, "/auth/logout-all"},
      {"userinfo", &Endpoints::userinfo, "/auth/me"},
      {"revocation", &Endpoints::revocation, ""},
      {"endSession", &Endpoints::end_session, ""},
      {"jwks", &Endpoints::jwks, "/.well-known/jwks.json"},
  };
  for (const auto& slot : slots) {
    std::string value = slot.fallback;
    if (given.contains(slot.name)) {
      const std::string* text = find_string(given, slot.name);
      if (!text) return config_error(std::string("endpoints.") + slot.name + " must be a string");
      value = *text;
    }
    if (value.empty()) continue;
    value = resolve_endpoint(config.issuer, value);
    if (!is_acceptable_endpoint(value)) {
      return config_error(std::string("endpoints.") + slot.name + " must be https (http only on loopback)");
    }
    config.endpoints.*slot.member = std::move(value);
  }
  return config;
}

}  // namespace authwasm
