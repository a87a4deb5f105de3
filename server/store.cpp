#include "store.hpp"

#include "base/base64url.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"
#include "store_sqlite.hpp"

namespace authwasm::server {
namespace {

constexpr const char kSqlitePrefix[] = "sqlite:";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::optional<std::string> new_secret() {
  auto bytes = random_bytes(32);  // 256 bits (RFC 9700 §4.14.2 asks for unguessable tokens)
  if (!bytes) return std::nullopt;
  return base64url_encode(bytes.value());
}

std::string secret_hash(const std::string& secret) { return sha256(secret); }

bool looks_like_secret(const std::string& s) {
  return s.size() == 43 && base64url_decode(s).ok();
}

std::string check_store_spec(const std::string& spec) {
  if (spec.empty()) return "";
  if (starts_with(spec, kSqlitePrefix)) {
    return spec.size() > sizeof kSqlitePrefix - 1 ? "" : "--store sqlite: needs a path (sqlite:PATH)";
  }
  if (starts_with(spec, "postgres://") || starts_with(spec, "postgresql://")) {
    return "--store: this build has no PostgreSQL store yet (issue 15); use sqlite:PATH";
  }
  return "--store: expected sqlite:PATH, got \"" + spec + "\"";
}

std::unique_ptr<Store> open_store(const std::string& spec, const std::string& data_dir, std::string& error) {
  error = check_store_spec(spec);
  if (!error.empty()) return nullptr;
  const std::string path = spec.empty() ? data_dir + "/authwasm.sqlite3" : spec.substr(sizeof kSqlitePrefix - 1);
  return SqliteStore::open(path, error);
}

}  // namespace authwasm::server
