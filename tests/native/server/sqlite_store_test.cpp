// SqliteStore's group commit (server/store_sqlite.hpp): concurrent refreshes of distinct
// sessions all rotate, share transactions and persist across a reopen; a sibling race inside
// batches still gives one rotation and grace siblings (or, with grace 0, one rotation and a
// revoked family); a failed commit fails every refresh of its batch and persists none of them;
// a caller waits no longer than the bound, and a refresh it gave up on is never applied.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_sqlite.hpp"

namespace authwasm::server {
namespace {

constexpr int64_t kTtl = 3600'000;
constexpr int64_t kGrace = 30'000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sqlite-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/db";
    open();
    ASSERT_EQ(store_->create_user("user", "hash", now_ms(), user_), Store::CreateUser::created);
  }
  void TearDown() override {
    store_.reset();
    for (const char* f : {"/db", "/db-wal", "/db-shm"}) std::remove((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  void open() {
    std::string error;
    store_ = SqliteStore::open(path_, error);
    ASSERT_TRUE(store_) << error;
  }
  std::vector<std::string> families(int n) {
    std::vector<std::string> tokens;
    for (int i = 0; i < n; i++) {
      auto started = store_->start_family(user_, "client", "openid", 1, now_ms(), kTtl, "");
      EXPECT_TRUE(started);
      tokens.push_back(started ? started->token : "");
    }
    return tokens;
  }
  RefreshResult refresh(const std::string& token, int64_t grace = kGrace) {
    return store_->refresh(token, now_ms(), kTtl, grace, "");
  }

  std::string dir_, path_;
  std::unique_ptr<SqliteStore> store_;
  User user_;
};

// Runs `body(i)` on `n` threads released together.
template <typename Body>
void together(int n, Body body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; i++) {
    threads.emplace_back([&, i] {
      ready++;
      while (!go) std::this_thread::yield();
      body(i);
    });
  }
  while (ready < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}

TEST_F(SqliteStoreTest, ConcurrentRefreshesOfDistinctSessionsAllRotateShareCommitsAndPersistAcrossAReopen) {
  constexpr int kThreads = 12, kPerThread = 4, kRounds = 40;
  std::vector<std::string> current = families(kThreads * kPerThread);
  std::vector<std::string> first = current;
  std::atomic<int> not_rotated{0};
  together(kThreads, [&](int t) {
    for (int round = 0; round < kRounds; round++) {
      for (int k = 0; k < kPerThread; k++) {
        std::string& token = current[size_t(t * kPerThread + k)];
        RefreshResult r = refresh(token);
        if (r.status != RefreshStatus::rotated || r.token.empty()) {
          not_rotated++;
          continue;
        }
        token = r.token;
      }
    }
  });
  EXPECT_EQ(not_rotated, 0);
  const StoreStats stats = *store_->stats();
  EXPECT_EQ(stats.refreshes, kThreads * kPerThread * kRounds);
  EXPECT_LT(stats.batches, stats.refreshes) << "no two refreshes ever shared a commit";
  EXPECT_GT(stats.largest_batch, 1);
  EXPECT_EQ(stats.failed_batches, 0);
  EXPECT_EQ(std::set<std::string>(current.begin(), current.end()).size(), current.size());

  // Every rotation survives a reopen: the latest token is the current one, the first is reuse.
  store_.reset();
  open();
  for (size_t i = 0; i < current.size(); i++) {
    RefreshResult r = refresh(current[i]);
    EXPECT_EQ(r.status, RefreshStatus::rotated) << "family " << i;
    EXPECT_EQ(refresh(first[i]).status, RefreshStatus::reuse_detected) << "family " << i;
  }
}

TEST_F(SqliteStoreTest, ASiblingRaceAmongOtherRefreshesGivesOneRotationAndGraceSiblings) {
  const std::vector<std::string> others = families(8);
  const std::string token = families(1)[0];
  std::vector<RefreshResult> results(16);
  together(24, [&](int i) {
    if (i < 16) {
      results[size_t(i)] = refresh(token);
    } else {
      EXPECT_EQ(refresh(others[size_t(i - 16)]).status, RefreshStatus::rotated);
    }
  });
  std::map<RefreshStatus, int> count;
  std::set<std::string> issued;
  for (const RefreshResult& r : results) {
    count[r.status]++;
    issued.insert(r.token);
  }
  EXPECT_EQ(count[RefreshStatus::rotated], 1);
  EXPECT_EQ(count[RefreshStatus::grace_reissued], 15);
  EXPECT_EQ(issued.size(), 16u) << "every answer is a token of its own";
  // All of them are of the current generation: any one of them rotates next.
  EXPECT_EQ(refresh(*issued.begin()).status, RefreshStatus::rotated);
}

TEST_F(SqliteStoreTest, WithGraceZeroASiblingRaceRotatesOnceAndRevokesTheFamily) {
  const std::string token = families(1)[0];
  std::vector<RefreshResult> results(16);
  together(16, [&](int i) { results[size_t(i)] = refresh(token, 0); });
  std::map<RefreshStatus, int> count;
  std::string rotated;
  for (const RefreshResult& r : results) {
    count[r.status]++;
    if (r.status == RefreshStatus::rotated) rotated = r.token;
  }
  EXPECT_EQ(count[RefreshStatus::rotated], 1);
  EXPECT_EQ(count[RefreshStatus::reuse_detected], 1);
  EXPECT_EQ(count[RefreshStatus::revoked], 14);
  EXPECT_EQ(refresh(rotated, 0).status, RefreshStatus::revoked);
}

TEST_F(SqliteStoreTest, AFailedCommitFailsEveryRefreshOfItsBatchAndPersistsNone) {
  const std::vector<std::string> tokens = families(16);
  store_->fail_commits_for_testing(true);
  std::vector<RefreshResult> results(tokens.size());
  together(int(tokens.size()), [&](int i) { results[size_t(i)] = refresh(tokens[size_t(i)]); });
  for (const RefreshResult& r : results) {
    EXPECT_EQ(r.status, RefreshStatus::failed);
    EXPECT_TRUE(r.token.empty()) << "no token for a rotation that was not committed";
  }
  const StoreStats stats = *store_->stats();
  EXPECT_EQ(stats.failed_batches, stats.batches);
  store_->fail_commits_for_testing(false);
  // Nothing of the failed batches was persisted: each token is still the current one.
  for (const std::string& token : tokens) EXPECT_EQ(refresh(token).status, RefreshStatus::rotated);
}

TEST_F(SqliteStoreTest, ACallerWaitsAtMostTheBoundAndARefreshItGaveUpOnIsNeverApplied) {
  const std::vector<std::string> tokens = families(5);
  store_->set_batch_wait_for_testing(200);
  // Another process holds the write lock for 1.5 s: the leader's BEGIN IMMEDIATE waits for it
  // (busy_timeout 5 s), and the callers behind it must not wait that long.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  RefreshResult leader;
  std::thread lead([&] { leader = refresh(tokens[0]); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<RefreshResult> waited(4);
  std::vector<int64_t> took_ms(4);
  together(4, [&](int i) {
    const auto start = std::chrono::steady_clock::now();
    waited[size_t(i)] = refresh(tokens[size_t(i + 1)]);
    took_ms[size_t(i)] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
                             .count();
  });
  for (int i = 0; i < 4; i++) {
    EXPECT_EQ(waited[size_t(i)].status, RefreshStatus::timed_out);
    EXPECT_GE(took_ms[size_t(i)], 190);
    EXPECT_LT(took_ms[size_t(i)], 1200) << "waited past the bound";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1400));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  lead.join();
  EXPECT_EQ(leader.status, RefreshStatus::rotated);
  EXPECT_EQ(store_->stats()->timed_out, 4);
  // The refreshes their callers gave up on were dropped before they ran.
  for (int i = 1; i <= 4; i++) EXPECT_EQ(refresh(tokens[size_t(i)]).status, RefreshStatus::rotated);
}

TEST_F(SqliteStoreTest, CheckpointsRunOffTheRequestPathAndTheWalRestarts) {
  // Enough rotations to pass kRestartFrames: the WAL is checkpointed by the store's thread and
  // restarts, so its file stays bounded, and nothing is lost along the way.
  std::vector<std::string> tokens = families(32);
  together(8, [&](int t) {
    for (int round = 0; round < 400; round++) {
      for (int k = 0; k < 4; k++) {
        std::string& token = tokens[size_t(t * 4 + k)];
        RefreshResult r = refresh(token);
        ASSERT_EQ(r.status, RefreshStatus::rotated);
        token = r.token;
      }
    }
  });
  const StoreStats stats = *store_->stats();
  EXPECT_GT(stats.checkpoints, 0);
  EXPECT_GT(stats.held_checkpoints, 0) << "the WAL never reached kRestartFrames";
  struct stat st {};
  ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
  // kRestartFrames frames, plus what was committed while the passes before the held one ran
  // (here, refreshes without HTTP, commits outrun the passes: 6000-18000 frames more); never
  // unbounded.
  EXPECT_LT(st.st_size, int64_t(3) * SqliteStore::kRestartFrames * (4096 + 24));
  store_.reset();
  open();
  for (const std::string& token : tokens) EXPECT_EQ(refresh(token).status, RefreshStatus::rotated);
}

}  // namespace
}  // namespace authwasm::server
