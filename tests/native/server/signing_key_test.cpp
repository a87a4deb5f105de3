// SigningKey::sign (server/keys.hpp): every signature is an ES256 JWS signature its public key
// verifies, also when worker threads sign at once from the one prepared context per key.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/base64url.hpp"
#include "jose/jws_verify.hpp"
#include "keys.hpp"

namespace authwasm::server {
namespace {

TEST(SigningKey, ConcurrentSignaturesAllVerifyAndDiffer) {
  std::string error;
  const auto key = SigningKey::generate(error);
  ASSERT_TRUE(key) << error;
  auto jwk = JwsKey::from_jwk(key->public_jwk());
  ASSERT_TRUE(jwk.ok());
  const JwkSet keys = JwkSet::of({std::move(jwk).value()});
  // One input for every call: equal signatures would mean a nonce shared between copies.
  const std::string input = base64url_encode(R"({"alg":"ES256","kid":")" + key->kid() + R"("})") + "." +
                            base64url_encode(R"({"sub":"alice"})");

  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> verified{0};
  std::vector<std::vector<std::string>> signatures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string signature = key->sign(input);
        if (signature.size() != 64) continue;
        signatures[t].push_back(signature);
        if (verify_jws(input + "." + base64url_encode(signature), keys, {JwsAlgorithm::ES256}).ok()) ++verified;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), kThreads * kEach);
  // ECDSA's nonce is fresh for each call: the copies of the context share no random state.
  std::vector<std::string> all;
  for (const auto& s : signatures) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace authwasm::server
