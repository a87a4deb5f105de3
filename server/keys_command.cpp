// `authwasm-server keys rotate|list [options]`: the signing keys in the store, from the command
// line (server/README.md "Signing keys and rotation"). It takes the server's flags and
// AUTHWASM_* variables, so `--store`, `--data-dir`, `--key-file` and `--access-ttl` name the
// same store and lifetimes the instances use.
#include <ctime>
#include <cstdio>
#include <string>
#include <vector>

#include "app.hpp"
#include "clock.hpp"
#include "key_ring.hpp"

namespace authwasm::server {
namespace {

int keys_fail(int code, const std::string& message) {
  std::fprintf(stderr, "authwasm-server keys: %s\n", message.c_str());
  return code;
}

// RFC 3339 UTC with milliseconds.
std::string iso_time(int64_t ms) {
  const std::time_t seconds = std::time_t(ms / 1000);
  std::tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

// The key's state at `now_ms` by the KeyRing rules (key_ring.hpp).
const char* key_state(const StoredKey& key, bool signing, int64_t now_ms) {
  if (!key_published(key, now_ms)) return key.created_at_ms > now_ms ? "staged" : "retired";
  if (signing) return "signing";
  return key.activate_at_ms > now_ms ? "staged" : "verifying";
}

int list_keys(Store& store) {
  auto keys = store.signing_keys();
  if (!keys) return keys_fail(1, "cannot read the signing keys from the store");
  const int64_t now = now_millis();
  if (keys->empty()) {
    std::fprintf(stderr, "authwasm-server keys: the store holds no signing key yet (the server's first start, or "
                         "`keys rotate`, seeds it from --key-file)\n");
  }
  const auto signer = signing_key_index(*keys, now);
  // One line per key, never the private key: kid, created, activate, retire ("-": not set), state.
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const StoredKey& k = (*keys)[i];
    std::printf("%s created=%s activate=%s retire=%s %s\n", k.kid.c_str(), iso_time(k.created_at_ms).c_str(),
                iso_time(k.activate_at_ms).c_str(), k.retire_at_ms ? iso_time(k.retire_at_ms).c_str() : "-",
                key_state(k, signer && *signer == i, now));
  }
  return 0;
}

int rotate_keys(Store& store, const Config& config) {
  std::string error;
  // A store the server never used gets the key file's key first, as a server start would;
  // otherwise the new key would be the only one and nothing would sign until it activates.
  if (!ensure_signing_keys(store, key_file_path(config), error)) return keys_fail(1, error);
  std::unique_ptr<SigningKey> key = SigningKey::generate(error);
  if (!key) return keys_fail(1, error);
  // Every token the server signs (access and ID token) lives --access-ttl seconds.
  const RotationPlan plan = plan_rotation(now_millis(), millis(config.promote_after), millis(config.access_ttl),
                                          millis(config.retire_margin));
  StoredKey stored{key->kid(), key->private_pem(), plan.created_at_ms, plan.activate_at_ms, 0};
  if (stored.private_pem.empty()) return keys_fail(1, "cannot encode the new key");
  if (!store.add_signing_key(stored, plan.retire_others_at_ms)) return keys_fail(1, "cannot store the new key");
  if (config.promote_after <= config.key_reload) {
    std::fprintf(stderr,
                 "authwasm-server keys: warning: --promote-after %lld is not longer than --key-reload %lld: the new "
                 "key may sign before every instance and JWKS reader has it\n",
                 static_cast<long long>(config.promote_after), static_cast<long long>(config.key_reload));
  }
  std::printf("staged %s: published now, signing from %s; the keys it replaces retire at %s\n", stored.kid.c_str(),
              iso_time(plan.activate_at_ms).c_str(), iso_time(plan.retire_others_at_ms).c_str());
  return 0;
}

}  // namespace

int run_keys_command(int argc, char** argv) {
  // argv: authwasm-server keys SUBCOMMAND [options]; the options are the server's.
  const std::string sub = argc >= 3 ? argv[2] : "";
  if (sub != "rotate" && sub != "list") {
    return keys_fail(2, sub.empty() ? "expected rotate or list (see --help)"
                                    : "unknown subcommand \"" + sub + "\" (expected rotate or list)");
  }
  std::vector<char*> args{argv[0]};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  ConfigResult parsed = parse_config(int(args.size()), args.data());
  if (parsed.help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) return keys_fail(2, parsed.error + " (see --help)");
  const Config& config = parsed.config;
  if (config.data_dir.empty()) return keys_fail(2, "--data-dir must not be empty");
  if (const std::string bad = check_store_spec(config.store); !bad.empty()) return keys_fail(2, bad);
  std::string error;
  // The default SQLite store lives in the data directory, as for the server.
  if (config.store.empty() || sub == "rotate") {
    if (!ensure_data_dir(config.data_dir, error)) return keys_fail(2, error);
  }
  std::unique_ptr<Store> store = open_store(config.store, config.data_dir, 1, error);
  if (!store) return keys_fail(1, error);
  return sub == "list" ? list_keys(*store) : rotate_keys(*store, config);
}

}  // namespace authwasm::server
