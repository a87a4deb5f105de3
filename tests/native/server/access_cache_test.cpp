// The cache of verified access tokens (server/access_cache.hpp) and TokenIssuer's use of it:
// a cached token obeys the same expiry rule as a full check (RFC 7519 §4.1.4), any other
// byte string is checked in full, and the cache never holds more than its capacity.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "access_cache.hpp"
#include "config.hpp"
#include "key_ring.hpp"
#include "keys.hpp"
#include "tokens.hpp"

namespace authwasm::server {
namespace {

AccessClaims claims_of(const std::string& jti, int64_t exp, int64_t iat) {
  return AccessClaims{"sub-" + jti, "sid-" + jti, "openid", "client", jti, exp, iat, ""};
}

AccessTokenCache::Key key(const std::string& token) { return AccessTokenCache::key_of(token); }

TEST(AccessTokenCache, AnswersUntilExpThenNeverAgain) {
  AccessTokenCache cache(8);
  cache.insert(key("t"), claims_of("a", 1000, 990), 990);
  ASSERT_TRUE(cache.find(key("t"), 999).has_value());
  EXPECT_EQ(cache.find(key("t"), 999)->jti, "a");
  EXPECT_FALSE(cache.find(key("t"), 1000).has_value());  // exp <= now: expired, as a full check says
  EXPECT_FALSE(cache.find(key("t"), 5000).has_value());
  EXPECT_EQ(access_token_time_refusal(1000, 990, 1000), std::string("The access token expired"));
}

TEST(AccessTokenCache, AClockThatWentBackRefusesAFutureIatAsAFullCheckWould) {
  AccessTokenCache cache(8);
  cache.insert(key("t"), claims_of("a", 2000, 1100), 1050);  // iat <= now + 60 when inserted
  EXPECT_FALSE(cache.find(key("t"), 1039).has_value());      // iat > now + 60
  EXPECT_TRUE(cache.find(key("t"), 1040).has_value());
  EXPECT_EQ(access_token_time_refusal(2000, 1100, 1039), std::string("the access token was issued in the future"));
  EXPECT_EQ(access_token_time_refusal(2000, 1100, 1040), nullptr);
}

TEST(AccessTokenCache, AnyOtherByteStringIsAMiss) {
  AccessTokenCache cache(8);
  const std::string token = "eyJh.eyJz.c2ln";
  cache.insert(key(token), claims_of("a", 1000, 0), 0);
  EXPECT_TRUE(cache.find(key(token), 1).has_value());
  for (const std::string& other : {std::string("eyJh.eyJz.c2lm"), std::string("eyJh.eyJz.c2l"), token + "=",
                                   std::string(" ") + token, std::string(), std::string("eyJh.eyJz.c2ln\0", 15)}) {
    EXPECT_FALSE(cache.find(key(other), 1).has_value()) << other;
  }
}

TEST(AccessTokenCache, NeverHoldsMoreThanItsCapacityAndDropsTheOldestFirst) {
  AccessTokenCache cache(3);
  for (int i = 0; i < 10; ++i) {
    cache.insert(key("t" + std::to_string(i)), claims_of(std::to_string(i), 1000, 0), 0);
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.size(), 3u);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(cache.find(key("t" + std::to_string(i)), 1).has_value()) << i;
  for (int i = 7; i < 10; ++i) EXPECT_TRUE(cache.find(key("t" + std::to_string(i)), 1).has_value()) << i;
}

TEST(AccessTokenCache, ExpiredEntriesAreDroppedBeforeAnyLiveOne) {
  AccessTokenCache cache(3);
  cache.insert(key("old"), claims_of("old", 100, 0), 0);
  cache.insert(key("live1"), claims_of("live1", 1000, 0), 0);
  cache.insert(key("live2"), claims_of("live2", 1000, 0), 0);
  cache.insert(key("new"), claims_of("new", 1000, 150), 150);  // full: the expired "old" goes
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find(key("live1"), 150).has_value());
  EXPECT_TRUE(cache.find(key("live2"), 150).has_value());
  EXPECT_TRUE(cache.find(key("new"), 150).has_value());
  cache.insert(key("later"), claims_of("later", 5000, 1000), 1000);  // live1, live2, new expired at 1000
  EXPECT_EQ(cache.size(), 1u);
}

TEST(AccessTokenCache, ASecondInsertKeepsTheFirstClaims) {
  AccessTokenCache cache(3);
  cache.insert(key("t"), claims_of("first", 1000, 0), 0);
  cache.insert(key("t"), claims_of("second", 1000, 0), 0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find(key("t"), 1)->jti, "first");
}

TEST(AccessTokenCache, ClearAndZeroCapacityHoldNothing) {
  AccessTokenCache cache(3);
  cache.insert(key("t"), claims_of("a", 1000, 0), 0);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find(key("t"), 1).has_value());
  AccessTokenCache none(0);
  none.insert(key("t"), claims_of("a", 1000, 0), 0);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none.find(key("t"), 1).has_value());
}

TEST(AccessTokenCache, ConcurrentUseStaysBounded) {
  AccessTokenCache cache(50);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string token = std::to_string(t) + "-" + std::to_string(i % 100);
        cache.insert(key(token), claims_of(token, 1000, 0), 0);
        auto hit = cache.find(key(token), 1);
        if (hit && hit->jti != token) wrong++;
        if (cache.size() > 50) wrong++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 50u);
}

// ---------------------------------------------------------------- through TokenIssuer

class IssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.issuer = "http://127.0.0.1:1";
    config_.access_ttl = 5;
    config_.clients = {Client{"client", {"http://127.0.0.1:1/cb"}}};
    std::string error;
    key_ = SigningKey::generate(error);
    other_key_ = SigningKey::generate(error);
    ASSERT_TRUE(key_ && other_key_) << error;
    ring_ = ring_of(*key_);
    other_ring_ = ring_of(*other_key_);
    issuer_ = std::make_unique<TokenIssuer>(config_, *ring_);
  }
  // A ring holding `key` alone, published and signing since 0.
  static std::unique_ptr<KeyRing> ring_of(const SigningKey& key) {
    auto ring = std::make_unique<KeyRing>(nullptr);
    std::string error;
    EXPECT_TRUE(ring->install({StoredKey{key.kid(), key.private_pem(), 0, 0, 0}}, error)) << error;
    return ring;
  }
  Config config_;
  std::unique_ptr<SigningKey> key_, other_key_;
  std::unique_ptr<KeyRing> ring_, other_ring_;
  std::unique_ptr<TokenIssuer> issuer_;
};

constexpr int64_t kNow = 1'700'000'000;  // seconds; the issuer takes milliseconds
constexpr int64_t ms(int64_t seconds) { return seconds * 1000; }

TEST_F(IssuerTest, ACachedTokenExpiresAtItsExpExactlyLikeAFreshOne) {
  const std::string token = issuer_->access_token("alice", "client", "sid-1", "openid", ms(kNow));
  for (int64_t t : {kNow, kNow, kNow + 4}) {  // the first verifies in full, the others hit the cache
    BearerCheck check = issuer_->verify_access_token(token, ms(t));
    ASSERT_TRUE(check.ok) << check.description;
    EXPECT_EQ(check.claims.sub, "alice");
    EXPECT_EQ(check.claims.sid, "sid-1");
    EXPECT_EQ(check.claims.exp, kNow + 5);
  }
  for (int64_t t : {kNow + 5, kNow + 6, kNow + 3600}) {
    BearerCheck check = issuer_->verify_access_token(token, ms(t));
    EXPECT_FALSE(check.ok) << t;
    EXPECT_EQ(check.description, "The access token expired");
  }
  // A fresh issuer (no cache yet) gives the same answers.
  TokenIssuer fresh(config_, *ring_);
  EXPECT_FALSE(fresh.verify_access_token(token, ms(kNow + 5)).ok);
  EXPECT_EQ(fresh.verify_access_token(token, ms(kNow + 5)).description, "The access token expired");
}

TEST_F(IssuerTest, ATamperedCopyOfACachedTokenIsCheckedInFullAndRefused) {
  const std::string token = issuer_->access_token("alice", "client", "sid-1", "openid", ms(kNow));
  ASSERT_TRUE(issuer_->verify_access_token(token, ms(kNow)).ok);
  std::string bad_signature = token;
  bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(issuer_->verify_access_token(bad_signature, ms(kNow)).ok);
  // Another token's signature on this payload, and this signature on another payload.
  const std::string other = issuer_->access_token("mallory", "client", "sid-2", "openid", ms(kNow));
  const std::string spliced = token.substr(0, token.rfind('.')) + other.substr(other.rfind('.'));
  EXPECT_FALSE(issuer_->verify_access_token(spliced, ms(kNow)).ok);
  EXPECT_TRUE(issuer_->verify_access_token(token, ms(kNow)).ok);
}

TEST_F(IssuerTest, ATokenOfAnotherKeyOrClientNeverPassesCachedOrNot) {
  TokenIssuer foreign(config_, *other_ring_);
  const std::string token = foreign.access_token("alice", "client", "sid-1", "openid", ms(kNow));
  ASSERT_TRUE(foreign.verify_access_token(token, ms(kNow)).ok);  // cached by its own issuer only
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(issuer_->verify_access_token(token, ms(kNow)).ok);
  const std::string unknown_client = issuer_->access_token("alice", "nobody", "sid-1", "openid", ms(kNow));
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(issuer_->verify_access_token(unknown_client, ms(kNow)).ok);
}

TEST_F(IssuerTest, ADpopBoundTokenKeepsItsJktFromTheCache) {
  const std::string token = issuer_->access_token("alice", "client", "sid-1", "openid", ms(kNow), "thumbprint");
  EXPECT_EQ(issuer_->verify_access_token(token, ms(kNow)).claims.jkt, "thumbprint");
  EXPECT_EQ(issuer_->verify_access_token(token, ms(kNow)).claims.jkt, "thumbprint");  // hit
}

}  // namespace
}  // namespace authwasm::server
