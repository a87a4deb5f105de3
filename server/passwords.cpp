#include "passwords.hpp"

#include <argon2.h>

#include <vector>

#include "base/random.hpp"

namespace authwasm::server {
namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19 * 1024;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltLength = 16;
constexpr size_t kHashLength = 32;

const std::string& dummy_hash() {
  static const std::string hash = hash_password("authwasm-timing-equaliser").value_or("");
  return hash;
}

}  // namespace

std::optional<std::string> hash_password(const std::string& password) {
  auto salt = random_bytes(kSaltLength);
  if (!salt) return std::nullopt;
  const size_t length = argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltLength, kHashLength,
                                          Argon2_id);
  std::vector<char> encoded(length);
  if (argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(), password.size(),
                            salt.value().data(), salt.value().size(), kHashLength, encoded.data(),
                            encoded.size()) != ARGON2_OK) {
    return std::nullopt;
  }
  return std::string(encoded.data());
}

bool verify_password(const std::string& password, const std::string& encoded) {
  if (encoded.empty()) {
    const std::string& dummy = dummy_hash();
    if (!dummy.empty()) argon2id_verify(dummy.c_str(), password.data(), password.size());
    return false;
  }
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool valid_username(const std::string& u) {
  if (u.empty() || u.size() > 64) return false;
  for (char c : u) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_password(const std::string& p) { return p.size() >= 8 && p.size() <= 1024; }

}  // namespace authwasm::server
