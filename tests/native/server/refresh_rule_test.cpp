// decide_refresh (server/store.cpp): the rotation rule both stores apply (server/README.md
// "Refresh-token rotation"; RFC 9700 §4.14.2, RFC 9449 §5).
#include <gtest/gtest.h>

#include "store.hpp"

using namespace authwasm::server;
using Step = RefreshDecision::Step;

namespace {

constexpr int64_t kNow = 1'000'000;
constexpr int64_t kGrace = 30'000;

TokenState current() {
  TokenState s;
  s.token_gen = 4;
  s.family_gen = 4;
  s.family_rotated_at_ms = kNow - 60'000;
  s.token_expires_at_ms = kNow + 60'000;
  return s;
}

TokenState predecessor(int64_t rotated_ago_ms) {
  TokenState s = current();
  s.token_gen = 3;
  s.family_rotated_at_ms = kNow - rotated_ago_ms;
  return s;
}

void expect(const RefreshDecision& d, Step step, RefreshStatus status) {
  EXPECT_EQ(int(d.step), int(step));
  EXPECT_EQ(int(d.status), int(status));
}

}  // namespace

TEST(RefreshRule, TheCurrentTokenRotates) { expect(decide_refresh(current(), kNow, kGrace, ""), Step::rotate, RefreshStatus::rotated); }

TEST(RefreshRule, ThePredecessorInsideTheHalfOpenWindowIsReissued) {
  expect(decide_refresh(predecessor(0), kNow, kGrace, ""), Step::reissue, RefreshStatus::grace_reissued);
  expect(decide_refresh(predecessor(kGrace - 1), kNow, kGrace, ""), Step::reissue, RefreshStatus::grace_reissued);
  expect(decide_refresh(predecessor(kGrace), kNow, kGrace, ""), Step::revoke, RefreshStatus::reuse_detected);
}

TEST(RefreshRule, GraceZeroIsStrict) {
  expect(decide_refresh(predecessor(0), kNow, 0, ""), Step::revoke, RefreshStatus::reuse_detected);
}

TEST(RefreshRule, AnOlderTokenIsReuseEvenInsideTheWindow) {
  TokenState s = predecessor(0);
  s.token_gen = 2;
  expect(decide_refresh(s, kNow, kGrace, ""), Step::revoke, RefreshStatus::reuse_detected);
}

TEST(RefreshRule, RevokedExpiredAndOrphanedAreRefusedWithoutChange) {
  TokenState revoked = current();
  revoked.family_revoked = true;
  expect(decide_refresh(revoked, kNow, kGrace, ""), Step::refuse, RefreshStatus::revoked);
  TokenState expired = current();
  expired.token_expires_at_ms = kNow;  // expiry is exclusive
  expect(decide_refresh(expired, kNow, kGrace, ""), Step::refuse, RefreshStatus::expired);
  TokenState orphan = current();
  orphan.user_exists = false;
  expect(decide_refresh(orphan, kNow, kGrace, ""), Step::refuse, RefreshStatus::revoked);
}

TEST(RefreshRule, DpopBinding) {
  TokenState bound = current();
  bound.family_jkt = "key-a";
  expect(decide_refresh(bound, kNow, kGrace, ""), Step::refuse, RefreshStatus::dpop_proof_missing);
  expect(decide_refresh(bound, kNow, kGrace, "key-b"), Step::revoke, RefreshStatus::dpop_key_mismatch);
  const RefreshDecision same = decide_refresh(bound, kNow, kGrace, "key-a");
  expect(same, Step::rotate, RefreshStatus::rotated);
  EXPECT_EQ(same.family_jkt, "key-a");
  // An unbound family is bound by its first refresh with a proof; without one it stays unbound.
  EXPECT_EQ(decide_refresh(current(), kNow, kGrace, "key-c").family_jkt, "key-c");
  EXPECT_EQ(decide_refresh(current(), kNow, kGrace, "").family_jkt, "");
}
