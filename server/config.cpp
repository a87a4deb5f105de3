#include "config.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "store.hpp"

namespace authwasm::server {
namespace {

bool parse_int(const std::string& text, int64_t min, int64_t max, int64_t& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

// "http(s)://host[:port]" and nothing more: what a browser sends as Origin (RFC 6454 §6.1).
bool is_origin(const std::string& s) {
  const auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string scheme = s.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  const std::string rest = s.substr(scheme_end + 3);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos) return false;
  return true;
}

// An absolute http(s) URI without a fragment (RFC 6749 §3.1.2).
bool is_redirect_uri(const std::string& s) {
  const auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string scheme = s.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  if (s.size() == scheme_end + 3 || s.find('#') != std::string::npos) return false;
  return s.find_first_of(" \t\r\n\"<>") == std::string::npos;
}

struct Parser {
  Config& c;
  std::string error;

  bool number(const std::string& name, const std::string& value, int64_t min, int64_t max, int64_t& out) {
    if (!parse_int(value, min, max, out)) {
      error = name + ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
              "], got \"" + value + "\"";
      return false;
    }
    return true;
  }

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }

  Client& last_client() {
    if (c.clients.empty()) c.clients.push_back(Client{"authwasm-demo", {}});
    return c.clients.back();
  }

  // One option, from a flag or the environment. Returns false on error.
  bool apply(const std::string& name, const std::string& value) {
    int64_t n = 0;
    if (name == "port") {
      if (!number("--port", value, 0, 65535, n)) return false;
      c.port = int(n);
    } else if (name == "bind") {
      c.bind = value;
    } else if (name == "data-dir") {
      c.data_dir = value;
    } else if (name == "store") {
      c.store = value;
    } else if (name == "store-pool") {
      if (!number("--store-pool", value, 1, 1024, n)) return false;
      c.store_pool = int(n);
    } else if (name == "issuer") {
      c.issuer = value;
    } else if (name == "allowed-origin") {
      for (auto& o : split_list(value)) c.allowed_origins.push_back(o);
    } else if (name == "client-id") {
      // Each --client-id starts a client; following --redirect-uri flags belong to it.
      if (c.clients.size() == 1 && c.clients[0].id == "authwasm-demo" && c.clients[0].redirect_uris.empty()) {
        c.clients[0].id = value;
      } else {
        c.clients.push_back(Client{value, {}});
      }
    } else if (name == "redirect-uri") {
      for (auto& u : split_list(value)) last_client().redirect_uris.push_back(u);
    } else if (name == "access-ttl") {
      if (!number("--access-ttl", value, 1, 86400, c.access_ttl)) return false;
    } else if (name == "refresh-ttl") {
      if (!number("--refresh-ttl", value, 1, 400 * 86400, c.refresh_ttl)) return false;
    } else if (name == "grace") {
      if (!number("--grace", value, 0, 300, c.grace)) return false;
    } else if (name == "code-ttl") {
      if (!number("--code-ttl", value, 1, 60, c.code_ttl)) return false;
    } else if (name == "session-ttl") {
      if (!number("--session-ttl", value, 1, 30 * 86400, c.session_ttl)) return false;
    } else if (name == "key-file") {
      c.key_file = value;
    } else if (name == "key-reload") {
      if (!number("--key-reload", value, 1, 3600, c.key_reload)) return false;
    } else if (name == "promote-after") {
      if (!number("--promote-after", value, 0, 30 * 86400, c.promote_after)) return false;
    } else if (name == "retire-margin") {
      if (!number("--retire-margin", value, 0, 86400, c.retire_margin)) return false;
    } else if (name == "static-dir") {
      c.static_dir = value;
    } else if (name == "login-burst") {
      if (!number("--login-burst", value, 1, 1000000, n)) return false;
      c.login_burst = int(n);
    } else if (name == "login-per-minute") {
      if (!number("--login-per-minute", value, 1, 1000000, n)) return false;
      c.login_per_minute = double(n);
    } else if (name == "register-burst") {
      if (!number("--register-burst", value, 1, 1000000, n)) return false;
      c.register_burst = int(n);
    } else if (name == "threads") {
      if (!number("--threads", value, 2, 1024, n)) return false;
      c.threads = int(n);
    } else if (name == "request-deadline") {
      if (!number("--request-deadline", value, 0, 3600, c.request_deadline)) return false;
    } else if (name == "keep-alive") {
      if (!number("--keep-alive", value, 1, 300, c.keep_alive)) return false;
    } else if (name == "max-connections-per-ip") {
      if (!number("--max-connections-per-ip", value, 0, 1000000, n)) return false;
      c.max_connections_per_ip = int(n);
    } else if (name == "cleanup-interval") {
      if (!number("--cleanup-interval", value, 1, 86400, c.cleanup_interval)) return false;
    } else if (name == "dpop") {
      if (value == "off") c.dpop = DpopMode::off;
      else if (value == "allowed") c.dpop = DpopMode::allowed;
      else if (value == "required") c.dpop = DpopMode::required;
      else return fail("--dpop: expected off, allowed or required, got \"" + value + "\"");
    } else if (name == "dpop-nonce") {
      if (value != "on" && value != "off") return fail("--dpop-nonce: expected on or off, got \"" + value + "\"");
      c.dpop_nonce = value == "on";
    } else if (name == "dpop-nonce-step") {
      if (!number("--dpop-nonce-step", value, 1, 3600, c.dpop_nonce_step)) return false;
    } else if (name == "dpop-replay-cache") {
      if (!number("--dpop-replay-cache", value, 1, 10000000, c.dpop_replay_cache)) return false;
    } else {
      error = "unknown option --" + name;
      return false;
    }
    return true;
  }
};

const char* const kEnv[][2] = {
    {"AUTHWASM_PORT", "port"},           {"AUTHWASM_BIND", "bind"},
    {"AUTHWASM_DATA_DIR", "data-dir"},   {"AUTHWASM_ISSUER", "issuer"},
    {"AUTHWASM_ALLOWED_ORIGINS", "allowed-origin"},
    {"AUTHWASM_CLIENT_ID", "client-id"}, {"AUTHWASM_REDIRECT_URIS", "redirect-uri"},
    {"AUTHWASM_ACCESS_TTL", "access-ttl"}, {"AUTHWASM_REFRESH_TTL", "refresh-ttl"},
    {"AUTHWASM_GRACE", "grace"},         {"AUTHWASM_KEY_FILE", "key-file"},
    {"AUTHWASM_STATIC_DIR", "static-dir"}, {"AUTHWASM_DPOP", "dpop"},
    {"AUTHWASM_DPOP_NONCE", "dpop-nonce"},
    {"AUTHWASM_MAX_CONNECTIONS_PER_IP", "max-connections-per-ip"},
    {"AUTHWASM_KEEP_ALIVE", "keep-alive"},
    {"AUTHWASM_STORE", "store"},         {"AUTHWASM_STORE_POOL", "store-pool"},
    {"AUTHWASM_KEY_RELOAD", "key-reload"}, {"AUTHWASM_PROMOTE_AFTER", "promote-after"},
    {"AUTHWASM_RETIRE_MARGIN", "retire-margin"},
};

}  // namespace

std::string usage() {
  return R"(usage: authwasm-server [options]
       authwasm-server keys rotate|list [options]   (signing keys in the store; see below)
  --port N               TCP port (0 = ephemeral; the first stdout line names it)   [8080]
  --bind ADDR            listen address                                            [127.0.0.1]
  --data-dir DIR         SQLite database and signing key                           [./authwasm-data]
  --store SPEC           sqlite:PATH, or postgres://… (a libpq URI) shared by several
                         instances (server/README.md "Deployment")  [sqlite:DATA_DIR/authwasm.sqlite3]
  --store-pool N         PostgreSQL connections per instance, at most --threads     [16]
  --issuer URL           issuer identifier                                         [http://BIND:PORT]
  --allowed-origin O     SPA origin allowed for CORS and cookie endpoints (repeatable;
                         the issuer's own origin is always allowed)
  --client-id ID         a public client (repeatable; later --redirect-uri flags belong to it)
                                                                                    [authwasm-demo]
  --redirect-uri URI     registered redirect URI, matched exactly (repeatable)     [ISSUER/callback]
  --access-ttl S         access token lifetime                                     [900]
  --refresh-ttl S        refresh token lifetime                                    [2592000]
  --grace S              refresh grace window, 0 = strict (server/README.md)      [30]
  --code-ttl S           authorization code lifetime, at most 60                   [60]
  --session-ttl S        browser login session for /authorize                      [28800]
  --key-file PATH        ES256 private key PEM that seeds a store holding no signing key
                         (created if missing); ignored once the store has keys
                                                              [DATA_DIR/signing-key.pem]
  --key-reload S         reload the signing keys from the store every S seconds     [15]
  --static-dir DIR       serve DIR at / with index.html fallback for SPA routes
  --login-burst N        login attempts per (username, IP) burst                   [10]
  --login-per-minute N   login attempts per (username, IP) refill rate             [10]
  --register-burst N     registrations per IP: burst and per-minute refill          [50]
  --threads N            HTTP worker threads                                       [64]
  --request-deadline S   a request's head and body must arrive within S seconds, 0 = none [10]
  --max-connections-per-ip N  connections served at once per client address; more wait
                         without a thread (0 = no cap, e.g. behind a reverse proxy)  [16]
  --keep-alive S         close a keep-alive connection idle for S seconds (1-300)   [5]
  --cleanup-interval S   purge expired rows every S seconds                        [60]
  --dpop MODE            DPoP (RFC 9449): off, allowed or required                 [allowed]
  --dpop-nonce on|off    require server nonces in DPoP proofs                      [on]
  --dpop-nonce-step S    lifetime of one nonce; the previous one is still accepted [60]
  --dpop-replay-cache N  DPoP jti entries held; when full, proofs get 503          [100000]
  --demo                 seed user demo/demo-password; enable POST /demo/expire-token
  --debug-stats          enable GET /debug/stats (test hook)
  --quiet                no request log on stderr
  --help
Signing keys (server/README.md "Signing keys and rotation"), with the server's --store,
--data-dir, --key-file and --access-ttl:
  keys rotate            stage a new P-256 key: published now, signing after --promote-after;
                         the keys it replaces retire --access-ttl + --retire-margin after that
    --promote-after S    seconds from staging to signing (> --key-reload + JWKS caching) [90]
    --retire-margin S    added to the longest token lifetime (clock skew)            [60]
  keys list              kid, created, activate, retire and state of each stored key
Environment: AUTHWASM_PORT, AUTHWASM_BIND, AUTHWASM_DATA_DIR, AUTHWASM_ISSUER,
  AUTHWASM_ALLOWED_ORIGINS, AUTHWASM_CLIENT_ID, AUTHWASM_REDIRECT_URIS (comma-separated lists),
  AUTHWASM_ACCESS_TTL, AUTHWASM_REFRESH_TTL, AUTHWASM_GRACE, AUTHWASM_KEY_FILE,
  AUTHWASM_STATIC_DIR, AUTHWASM_DPOP, AUTHWASM_DPOP_NONCE, AUTHWASM_MAX_CONNECTIONS_PER_IP,
  AUTHWASM_KEEP_ALIVE, AUTHWASM_STORE_POOL, AUTHWASM_KEY_RELOAD, AUTHWASM_PROMOTE_AFTER, AUTHWASM_RETIRE_MARGIN,
  AUTHWASM_STORE. Flags override the environment.
)";
}

ConfigResult parse_config(int argc, char** argv) {
  ConfigResult result;
  Config& c = result.config;
  Parser p{c, {}};
  for (auto& entry : kEnv) {
    const char* v = std::getenv(entry[0]);
    if (v && *v && !p.apply(entry[1], v)) {
      result.error = std::string(entry[0]) + ": " + p.error;
      return result;
    }
  }
  // Flags override the environment; for list options the first flag replaces the env's list.
  bool origins_from_flags = false, clients_from_flags = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg.rfind("--", 0) != 0) {
      result.error = "unexpected argument \"" + arg + "\"";
      return result;
    }
    std::string name = arg.substr(2), value;
    if (name == "demo") { c.demo = true; continue; }
    if (name == "debug-stats") { c.debug_stats = true; continue; }
    if (name == "quiet") { c.quiet = true; continue; }
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= argc) {
        result.error = "--" + name + " needs a value";
        return result;
      }
      value = argv[++i];
    }
    if (name == "allowed-origin" && !origins_from_flags) {
      origins_from_flags = true;
      c.allowed_origins.clear();
    }
    if ((name == "client-id" || name == "redirect-uri") && !clients_from_flags) {
      clients_from_flags = true;
      c.clients.clear();
    }
    if (!p.apply(name, value)) {
      result.error = p.error;
      return result;
    }
  }
  return result;
}

bool ensure_data_dir(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    error = "--data-dir " + path + " exists and is not a directory";
    return false;
  }
  if (::mkdir(path.c_str(), 0700) != 0) {
    error = "cannot create --data-dir " + path;
    return false;
  }
  return true;
}

std::string key_file_path(const Config& config) {
  return config.key_file.empty() ? config.data_dir + "/signing-key.pem" : config.key_file;
}

std::string Config::issuer_origin() const {
  const auto scheme_end = issuer.find("://");
  if (scheme_end == std::string::npos) return issuer;
  const auto path = issuer.find('/', scheme_end + 3);
  return path == std::string::npos ? issuer : issuer.substr(0, path);
}

const Client* Config::client(const std::string& id) const {
  for (const auto& c : clients) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string finalize_config(Config& c, int actual_port) {
  if (c.issuer.empty()) {
    std::string host = c.bind;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    c.issuer = "http://" + host + ":" + std::to_string(actual_port);
  }
  // RFC 8414 §2: https, no query or fragment; plain http is tolerated for development.
  if (!is_redirect_uri(c.issuer) || c.issuer.find('?') != std::string::npos) {
    return "--issuer must be an absolute http(s) URL without query or fragment, got \"" + c.issuer + "\"";
  }
  while (!c.issuer.empty() && c.issuer.back() == '/') c.issuer.pop_back();
  if (c.clients.empty()) c.clients.push_back(Client{"authwasm-demo", {}});
  for (auto& client : c.clients) {
    if (client.id.empty() || client.id.size() > 128 ||
        client.id.find_first_of(" \t\r\n\"<>&?#") != std::string::npos) {
      return "--client-id \"" + client.id + "\" is not a valid client identifier";
    }
    if (client.redirect_uris.empty()) client.redirect_uris.push_back(c.issuer + "/callback");
    for (const auto& uri : client.redirect_uris) {
      if (!is_redirect_uri(uri)) {
        return "--redirect-uri \"" + uri + "\" must be an absolute http(s) URI without a fragment";
      }
    }
  }
  for (auto& origin : c.allowed_origins) {
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    if (!is_origin(origin)) {
      return "--allowed-origin \"" + origin + "\" must be scheme://host[:port] (no path)";
    }
  }
  c.allowed_origins.push_back(c.issuer_origin());
  if (c.data_dir.empty()) return "--data-dir must not be empty";
  if (const std::string store_error = check_store_spec(c.store); !store_error.empty()) return store_error;
  if (c.grace >= c.refresh_ttl) return "--grace must be shorter than --refresh-ttl";
  return "";
}

}  // namespace authwasm::server
