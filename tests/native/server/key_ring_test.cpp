// Signing keys in the store (server/key_ring.hpp, issue 15): the selection rules at their
// millisecond edges (published from created_at, signing from activate_at, neither from
// retire_at), the rotation plan, and TokenIssuer over a KeyRing: which key signs, which tokens
// verify, the cache never answering past a key's retirement, and a key staged in the store by
// another instance picked up on an unknown kid.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/base64url.hpp"
#include "base/json.hpp"
#include "clock.hpp"
#include "config.hpp"
#include "key_ring.hpp"
#include "store.hpp"
#include "tokens.hpp"

namespace authwasm::server {
namespace {

StoredKey key(const std::string& kid, int64_t created, int64_t activate, int64_t retire = 0) {
  return StoredKey{kid, "", created, activate, retire};
}

// ---------------------------------------------------------------- the rules

TEST(KeyRules, PublishedFromCreatedAtUntilJustBeforeRetireAt) {
  const StoredKey k = key("a", 1000, 3000, 5000);
  EXPECT_FALSE(key_published(k, 999));
  EXPECT_TRUE(key_published(k, 1000));
  EXPECT_TRUE(key_published(k, 4999));
  EXPECT_FALSE(key_published(k, 5000));
  EXPECT_FALSE(key_published(k, 5001));
  const StoredKey forever = key("b", 0, 0, 0);  // no retire_at: published for ever
  EXPECT_TRUE(key_published(forever, 0));
  EXPECT_TRUE(key_published(forever, int64_t(1) << 50));
}

TEST(KeyRules, TheStagedKeySignsFromItsActivateAtToTheMillisecond) {
  // A rotation staged at 10 000 ms: B activates at 12 000, A retires at 20 000.
  const std::vector<StoredKey> keys = {key("A", 0, 0, 20'000), key("B", 10'000, 12'000)};
  EXPECT_EQ(signing_key_index(keys, 9'999), std::optional<std::size_t>(0));
  EXPECT_EQ(signing_key_index(keys, 10'000), std::optional<std::size_t>(0));  // B published, not signing
  EXPECT_EQ(signing_key_index(keys, 11'999), std::optional<std::size_t>(0));
  EXPECT_EQ(signing_key_index(keys, 12'000), std::optional<std::size_t>(1));
  EXPECT_EQ(signing_key_index(keys, 19'999), std::optional<std::size_t>(1));
  EXPECT_EQ(signing_key_index(keys, 20'000), std::optional<std::size_t>(1));
  EXPECT_TRUE(key_published(keys[0], 19'999));
  EXPECT_FALSE(key_published(keys[0], 20'000));
}

TEST(KeyRules, NewestActivationWinsWhateverTheOrderAndTiesAreBrokenTheSameEverywhere) {
  EXPECT_EQ(signing_key_index({key("new", 5, 100), key("old", 0, 0)}, 100), std::optional<std::size_t>(0));
  EXPECT_EQ(signing_key_index({key("old", 0, 0), key("new", 5, 100)}, 99), std::optional<std::size_t>(0));
  // Same activate_at (two instances seeded the store at once): greater created_at, then kid.
  EXPECT_EQ(signing_key_index({key("x", 0, 0), key("y", 0, 0)}, 1), std::optional<std::size_t>(1));
  EXPECT_EQ(signing_key_index({key("y", 0, 0), key("x", 0, 0)}, 1), std::optional<std::size_t>(0));
  EXPECT_EQ(signing_key_index({key("z", 1, 0), key("y", 0, 0)}, 1), std::optional<std::size_t>(0));
}

TEST(KeyRules, NoKeySignsWhenNoneIsActiveOrAllAreRetired) {
  EXPECT_EQ(signing_key_index({}, 1), std::nullopt);
  EXPECT_EQ(signing_key_index({key("staged", 0, 500)}, 499), std::nullopt);
  EXPECT_EQ(signing_key_index({key("gone", 0, 0, 500)}, 500), std::nullopt);
  // A key activated but not yet created (another instance's clock ahead) does not sign either.
  EXPECT_EQ(signing_key_index({key("early", 600, 0)}, 599), std::nullopt);
  // A retired key never signs, even when it is the most recently activated.
  EXPECT_EQ(signing_key_index({key("A", 0, 0), key("B", 0, 100, 200)}, 200), std::optional<std::size_t>(0));
}

TEST(KeyRules, RotationPlanPublishesNowSignsAfterTheDelayRetiresAfterTheLongestLifetimeAndMargin) {
  const RotationPlan plan = plan_rotation(1'000'000, 90'000, 900'000, 60'000);
  EXPECT_EQ(plan.created_at_ms, 1'000'000);
  EXPECT_EQ(plan.activate_at_ms, 1'090'000);
  EXPECT_EQ(plan.retire_others_at_ms, 2'050'000);
}

// ---------------------------------------------------------------- TokenIssuer over a ring

std::string kid_of(const std::string& jwt) {
  auto text = base64url_decode(jwt.substr(0, jwt.find('.')));
  if (!text) return "";
  auto header = parse_json(text.value());
  return header ? get_string(header.value(), "kid").value_or("") : "";
}

class RingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/key-ring-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    config_.issuer = "http://127.0.0.1:1";
    config_.access_ttl = 5;
    config_.clients = {Client{"client", {"http://127.0.0.1:1/cb"}}};
    std::string error;
    a_ = SigningKey::generate(error);
    b_ = SigningKey::generate(error);
    ASSERT_TRUE(a_ && b_) << error;
  }
  void TearDown() override {
    for (const char* f : {"/db", "/db-wal", "/db-shm", "/seed.pem"}) std::remove((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  StoredKey stored(const SigningKey& k, int64_t created, int64_t activate, int64_t retire = 0) {
    return StoredKey{k.kid(), k.private_pem(), created, activate, retire};
  }
  std::string token(const TokenIssuer& issuer, int64_t now_ms) {
    return issuer.access_token("alice", "client", "sid-1", "openid", now_ms);
  }
  std::string dir_;
  Config config_;
  std::unique_ptr<SigningKey> a_, b_;
};

constexpr int64_t T = 1'700'000'000'000;  // ms

TEST_F(RingTest, AcrossARotationEachTokenCarriesTheKeyThatSignedItAndVerifiesUntilThatKeyRetires) {
  KeyRing ring(nullptr);
  std::string error;
  // Staged at T: B activates at T + 2 s; A retires at T + 2 s + 5 s (access ttl) + 1 s.
  const RotationPlan plan = plan_rotation(T, 2000, 5000, 1000);
  ASSERT_TRUE(ring.install({stored(*a_, 0, 0, plan.retire_others_at_ms),
                            stored(*b_, plan.created_at_ms, plan.activate_at_ms)}, error)) << error;
  TokenIssuer issuer(config_, ring);
  const std::string before = token(issuer, plan.activate_at_ms - 1);
  const std::string after = token(issuer, plan.activate_at_ms);
  EXPECT_EQ(kid_of(before), a_->kid());
  EXPECT_EQ(kid_of(after), b_->kid());
  EXPECT_EQ(kid_of(issuer.id_token("alice", "client", "sid-1", 0, "", plan.activate_at_ms - 1)), a_->kid());
  EXPECT_EQ(kid_of(issuer.id_token("alice", "client", "sid-1", 0, "", plan.activate_at_ms)), b_->kid());
  // The last token A signed verifies (fresh and cached) until it expires, before A retires.
  for (int64_t t : {plan.activate_at_ms, plan.activate_at_ms + 3000, plan.activate_at_ms + 3998}) {
    EXPECT_TRUE(issuer.verify_access_token(before, t).ok) << t - T;
  }
  EXPECT_EQ(issuer.verify_access_token(before, plan.activate_at_ms + 4000).description, "The access token expired");
  EXPECT_TRUE(issuer.verify_access_token(after, plan.activate_at_ms + 4999).ok);
  // The JWKS: both from the staging on; A gone from its retire_at.
  auto kids = [&](int64_t t) {
    std::vector<std::string> out;
    const Json jwks = issuer.jwks(t);
    for (const auto& k : jwks["keys"]) out.push_back(k["kid"].get<std::string>());
    return out;
  };
  EXPECT_EQ(kids(plan.created_at_ms), (std::vector<std::string>{a_->kid(), b_->kid()}));
  EXPECT_EQ(kids(plan.retire_others_at_ms - 1), (std::vector<std::string>{a_->kid(), b_->kid()}));
  EXPECT_EQ(kids(plan.retire_others_at_ms), (std::vector<std::string>{b_->kid()}));
  EXPECT_EQ(kids(plan.created_at_ms - 1), (std::vector<std::string>{a_->kid()}));
}

TEST_F(RingTest, ATokenThatWouldOutliveItsKeyIsNeverAnsweredFromTheCacheAfterTheRetirement) {
  // A retires 2 s after T but signs a 5 s token at T (a store edited by hand, or clocks far
  // apart): the cache must not answer it by exp after A's retire_at.
  KeyRing ring(nullptr);
  std::string error;
  ASSERT_TRUE(ring.install({stored(*a_, 0, 0, T + 2000)}, error)) << error;
  TokenIssuer issuer(config_, ring);
  const std::string t = token(issuer, T);
  EXPECT_TRUE(issuer.verify_access_token(t, T).ok);
  EXPECT_TRUE(issuer.verify_access_token(t, T + 1999).ok);
  const BearerCheck at_retire = issuer.verify_access_token(t, T + 2000);
  EXPECT_FALSE(at_retire.ok);
  EXPECT_EQ(at_retire.description, "the access token's signing key is retired or not yet published");
  EXPECT_FALSE(issuer.verify_access_token(t, T + 4000).ok);
  // Nothing signs once A is retired.
  EXPECT_EQ(token(issuer, T + 2000), "");
}

TEST_F(RingTest, ATokenWithoutKidOrWithAKeyNotYetPublishedIsRefusedEvenWithAGoodSignature) {
  KeyRing ring(nullptr);
  std::string error;
  ASSERT_TRUE(ring.install({stored(*a_, 0, 0), stored(*b_, T + 1000, T + 1000)}, error)) << error;
  TokenIssuer issuer(config_, ring);
  const std::string good = token(issuer, T);
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  auto signed_by = [&](const SigningKey& key, const Json& header) {
    const std::string input = base64url_encode(dump_json(header)) + "." + payload;
    return input + "." + base64url_encode(key.sign(input));
  };
  // verify_jws would pick the only ES256 key for a header without kid; one key of two here,
  // and a server that always names its key has no reason to accept that.
  KeyRing single(nullptr);
  ASSERT_TRUE(single.install({stored(*a_, 0, 0)}, error)) << error;
  TokenIssuer single_issuer(config_, single);
  const BearerCheck no_kid = single_issuer.verify_access_token(signed_by(*a_, Json{{"alg", "ES256"}, {"typ", "at+jwt"}}), T);
  EXPECT_FALSE(no_kid.ok);
  EXPECT_EQ(no_kid.description, "the access token has no kid");
  // B is stored but published only from T + 1 s (another instance's clock ahead).
  const std::string early = signed_by(*b_, Json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", b_->kid()}});
  EXPECT_EQ(issuer.verify_access_token(early, T + 999).description,
            "the access token's signing key is retired or not yet published");
  EXPECT_TRUE(issuer.verify_access_token(early, T + 1000).ok);
  EXPECT_TRUE(issuer.verify_access_token(good, T).ok);
}

TEST_F(RingTest, InstallRefusesAnEmptySetAndAKidThatIsNotTheThumbprintAndKeepsTheOldSnapshot) {
  KeyRing ring(nullptr);
  std::string error;
  ASSERT_TRUE(ring.install({stored(*a_, 0, 0)}, error));
  EXPECT_FALSE(ring.install({}, error));
  StoredKey lying = stored(*b_, 0, 0);
  lying.kid = a_->kid();
  EXPECT_FALSE(ring.install({lying}, error));
  EXPECT_NE(error.find("thumbprint"), std::string::npos) << error;
  StoredKey garbage = stored(*b_, 0, 0);
  garbage.private_pem = "not a key";
  EXPECT_FALSE(ring.install({garbage}, error));
  ASSERT_EQ(ring.snapshot()->entries.size(), 1u);
  EXPECT_EQ(ring.snapshot()->entries[0].times.kid, a_->kid());
  EXPECT_TRUE(ring.snapshot()->entries[0].times.private_pem.empty());  // the snapshot keeps no PEM text
}

TEST_F(RingTest, TwoInstancesOnOneStoreAKeyStagedByOneVerifiesAtTheOtherBeforeItsNextReload) {
  std::string error;
  auto store = open_store("sqlite:" + dir_ + "/db", dir_, 1, error);
  ASSERT_TRUE(store) << error;
  // Bootstrap: the empty store takes the key file's key, signing from 0; a second call reads it.
  auto seeded = ensure_signing_keys(*store, dir_ + "/seed.pem", error);
  ASSERT_TRUE(seeded) << error;
  ASSERT_EQ(seeded->size(), 1u);
  EXPECT_EQ(seeded->at(0).activate_at_ms, 0);
  EXPECT_EQ(ensure_signing_keys(*store, dir_ + "/seed.pem", error)->size(), 1u);
  // Seeding is only ever into an empty store: another key is not added, even directly.
  ASSERT_TRUE(store->seed_signing_key(stored(*a_, 0, 0)));
  auto still = store->signing_keys();
  ASSERT_TRUE(still);
  ASSERT_EQ(still->size(), 1u);
  EXPECT_EQ(still->at(0).kid, seeded->at(0).kid);

  KeyRing one(store.get()), two(store.get());
  ASSERT_TRUE(one.reload(error) && two.reload(error)) << error;
  TokenIssuer issuer_one(config_, one), issuer_two(config_, two);
  const int64_t now = now_millis();
  // Staged with promote 0: active at once. Instance one reloads; instance two does not.
  const RotationPlan plan = plan_rotation(now - 10, 0, 5000, 0);
  ASSERT_TRUE(store->add_signing_key(stored(*b_, plan.created_at_ms, plan.activate_at_ms), plan.retire_others_at_ms));
  EXPECT_FALSE(store->add_signing_key(stored(*b_, plan.created_at_ms, plan.activate_at_ms), 0)) << "same kid twice";
  ASSERT_TRUE(one.reload(error)) << error;
  const std::string from_one = token(issuer_one, now);
  EXPECT_EQ(kid_of(from_one), b_->kid());
  EXPECT_FALSE(two.snapshot()->knows(b_->kid()));
  EXPECT_TRUE(issuer_two.verify_access_token(from_one, now).ok);  // unknown kid: reloaded
  EXPECT_TRUE(two.snapshot()->knows(b_->kid()));
  // A made-up kid reloads at most once a second.
  EXPECT_FALSE(two.reload_for_unknown_kid("made-up", now + 1));
  // The old key got its retire_at; cleanup deletes it once passed, and a reload drops it.
  auto keys = store->signing_keys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->at(0).retire_at_ms, plan.retire_others_at_ms);
  EXPECT_EQ(keys->at(1).retire_at_ms, 0);
  store->cleanup(plan.retire_others_at_ms);
  ASSERT_TRUE(one.reload(error)) << error;
  EXPECT_EQ(one.snapshot()->entries.size(), 1u);
}

}  // namespace
}  // namespace authwasm::server
