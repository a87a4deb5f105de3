// The WAL-append VFS (server/sqlite_wal_vfs.hpp): a transaction is in the WAL file when its
// COMMIT returns, whatever its size (one frame, writes above the unix VFS's 128 KiB limit, a
// transaction that spilled its cache), so another connection of the default VFS sees it at
// once, and a process killed right after its commits loses none of them; a transaction rolled
// back leaves nothing.
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "sqlite_wal_vfs.hpp"

namespace authwasm::server {
namespace {

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sqlite-wal-vfs-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/db";
    ASSERT_NE(wal_append_vfs_name(), nullptr);
  }
  void TearDown() override {
    for (const char* f : {"/db", "/db-wal", "/db-shm"}) std::remove((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

bool exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

long long count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    n = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return n;
}

std::string text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  return out;
}

// Opens with the WAL-append VFS, WAL mode as the server runs it, no automatic checkpoint (so
// every commit stays in the WAL file), and a small cache so that a large transaction spills.
sqlite3* open_appending(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, wal_append_vfs_name()) !=
          SQLITE_OK ||
      !exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=20;"
                "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, txn INTEGER, data BLOB)")) {
    return nullptr;
  }
  sqlite3_wal_autocheckpoint(db, 0);
  return db;
}

// Transaction `i` of the sequence below: rows and bytes per row. Some are one frame, some
// write hundreds of KiB (several writes of at most 64 KiB), some exceed the 20-page cache.
int rows_of(int i) { return i % 7 == 0 ? 200 : i % 3 == 0 ? 20 : 1; }
int bytes_of(int i) { return i % 5 == 0 ? 3000 : 100; }

bool run_transaction(sqlite3* db, int i, bool commit) {
  if (!exec(db, "BEGIN IMMEDIATE")) return false;
  const std::string insert = "INSERT INTO t(txn, data) SELECT " + std::to_string(i) + ", randomblob(" +
                             std::to_string(bytes_of(i)) +
                             ") FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
                             std::to_string(rows_of(i)) + ") SELECT x FROM n)";
  if (!exec(db, insert)) return false;
  if (i % 4 == 1 && !exec(db, "UPDATE t SET data = randomblob(50) WHERE id % 13 = " + std::to_string(i % 13))) {
    return false;
  }
  return exec(db, commit ? "COMMIT" : "ROLLBACK");
}

TEST_F(WalVfsTest, EveryCommitIsVisibleToAConnectionOfTheDefaultVfsWhenCommitReturns) {
  sqlite3* writer = open_appending(path_);
  ASSERT_NE(writer, nullptr);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &reader), SQLITE_OK);  // the default VFS
  long long expected = 0;
  for (int i = 0; i < 120; i++) {
    const bool commit = i % 11 != 10;
    ASSERT_TRUE(run_transaction(writer, i, commit)) << sqlite3_errmsg(writer);
    if (commit) expected += rows_of(i);
    ASSERT_EQ(count(reader, "SELECT count(*) FROM t"), expected) << "after transaction " << i;
  }
  EXPECT_EQ(text(reader, "PRAGMA integrity_check"), "ok");
  sqlite3_close(reader);
  sqlite3_close(writer);
}

TEST_F(WalVfsTest, AProcessKilledRightAfterItsCommitsLosesNoneOfThem) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child commits, reports each transaction once COMMIT has returned, and waits to be
    // killed: no close, no checkpoint, only what the WAL file holds survives.
    close(pipe_fds[0]);
    sqlite3* db = open_appending(path_);
    for (int i = 0; db && i < 80; i++) {
      const bool commit = i % 11 != 10;
      if (!run_transaction(db, i, commit)) break;
      const char report = commit ? 'c' : 'r';
      if (write(pipe_fds[1], &report, 1) != 1) break;
    }
    for (;;) pause();
  }
  close(pipe_fds[1]);
  std::string reports;
  char c;
  while (reports.size() < 80 && read(pipe_fds[0], &c, 1) == 1) reports += c;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(pipe_fds[0]);
  ASSERT_EQ(reports.size(), 80u) << "the child stopped early";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);  // the default VFS recovers the WAL
  EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok");
  for (int i = 0; i < 80; i++) {
    const long long rows = count(db, "SELECT count(*) FROM t WHERE txn = " + std::to_string(i));
    EXPECT_EQ(rows, reports[size_t(i)] == 'c' ? rows_of(i) : 0) << "transaction " << i;
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace authwasm::server
