#include "store.hpp"

#include "base/base64url.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"
#include "store_postgres.hpp"
#include "store_sqlite.hpp"

namespace authwasm::server {
namespace {

constexpr const char kSqlitePrefix[] = "sqlite:";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool is_postgres(const std::string& spec) {
  return starts_with(spec, "postgres://") || starts_with(spec, "postgresql://");
}

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

// Rotation with reuse detection (RFC 9700 §4.14.2), a grace window and DPoP binding
// (RFC 9449 §5); the rules and their reasons are in server/README.md.
RefreshDecision decide_refresh(const TokenState& state, int64_t now_ms, int64_t grace_ms,
                               const std::string& dpop_jkt) {
  using Step = RefreshDecision::Step;
  RefreshDecision d;
  d.family_jkt = state.family_jkt;
  auto answer = [&d](Step step, RefreshStatus status) {
    d.step = step;
    d.status = status;
    return d;
  };
  if (state.family_revoked || !state.user_exists) return answer(Step::refuse, RefreshStatus::revoked);
  if (state.token_expires_at_ms <= now_ms) return answer(Step::refuse, RefreshStatus::expired);
  // A bound family is refreshed only with a proof of its key. Another key is someone else
  // holding the cookie: revoke. No proof at all is refused and changes nothing.
  if (!state.family_jkt.empty() && dpop_jkt.empty()) return answer(Step::refuse, RefreshStatus::dpop_proof_missing);
  if (!state.family_jkt.empty() && dpop_jkt != state.family_jkt) {
    return answer(Step::revoke, RefreshStatus::dpop_key_mismatch);
  }
  d.family_jkt = dpop_jkt;  // an unbound (Bearer) family is bound by its first refresh with a proof
  if (state.token_gen == state.family_gen) return answer(Step::rotate, RefreshStatus::rotated);
  // The immediate predecessor, inside the half-open window [rotated_at, rotated_at + grace)
  // (empty for --grace 0, which is strict): the client most likely never received (or is
  // racing with) the successor. Another token of the current generation; the family does not
  // advance and the window is not extended.
  if (state.token_gen == state.family_gen - 1 && grace_ms > 0 && now_ms - state.family_rotated_at_ms < grace_ms) {
    return answer(Step::reissue, RefreshStatus::grace_reissued);
  }
  // Anything older, or the predecessor after the window: treat as theft.
  return answer(Step::revoke, RefreshStatus::reuse_detected);
}

std::string check_store_spec(const std::string& spec) {
  if (spec.empty()) return "";
  if (starts_with(spec, kSqlitePrefix)) {
    return spec.size() > sizeof kSqlitePrefix - 1 ? "" : "--store sqlite: needs a path (sqlite:PATH)";
  }
  if (is_postgres(spec)) return "";
  return "--store: expected sqlite:PATH or postgres://…, got \"" + spec + "\"";
}

std::unique_ptr<Store> open_store(const std::string& spec, const std::string& data_dir, int pool_size,
                                  std::string& error) {
  error = check_store_spec(spec);
  if (!error.empty()) return nullptr;
  if (is_postgres(spec)) return PostgresStore::open(spec, pool_size, error);
  const std::string path = spec.empty() ? data_dir + "/authwasm.sqlite3" : spec.substr(sizeof kSqlitePrefix - 1);
  return SqliteStore::open(path, error);
}

}  // namespace authwasm::server
