#include "sqlite_wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace authwasm::server {
namespace {

constexpr int kFrameHeaderBytes = 24;              // the WAL format's frame header
constexpr sqlite3_int64 kMaxWrite = 64 * 1024;     // bytes per write(2)
constexpr sqlite3_int64 kMaxBuffered = 1 << 20;    // a longer run of appends is written out

sqlite3_vfs* g_default = nullptr;  // the VFS this one wraps
sqlite3_vfs g_vfs;

// The WAL file: ours, then the default VFS's file object right after it.
struct WalFile {
  sqlite3_file base;     // base.pMethods = &kWalMethods
  sqlite3_file* real;
  unsigned char* buffer;
  sqlite3_int64 buffered, capacity;
  sqlite3_int64 buffer_at;  // file offset of buffer[0]
  sqlite3_int64 end;        // where the last write ended: appends start here (-1: not known)
  sqlite3_int64 page_at;    // a frame header is buffered: its page is the write at this offset (-1: none)
  bool commit_frame;        // that header ends a transaction
};

constexpr size_t kRealOffset = (sizeof(WalFile) + 7) & ~size_t(7);

WalFile* wal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }
const sqlite3_io_methods* real_methods(WalFile* f) { return f->real->pMethods; }

// Writes the buffer out, in writes of at most kMaxWrite bytes (the unix VFS writes at most
// 128 KiB - 1 per call: it masks the length with 0x1ffff); on failure the buffered frames are
// dropped and the caller's operation fails with the write's error.
int flush(WalFile* f) {
  int rc = SQLITE_OK;
  for (sqlite3_int64 done = 0; done < f->buffered && rc == SQLITE_OK; done += kMaxWrite) {
    const int amount = int(std::min(kMaxWrite, f->buffered - done));
    rc = real_methods(f)->xWrite(f->real, f->buffer + done, amount, f->buffer_at + done);
  }
  f->buffered = 0;
  if (rc != SQLITE_OK) {
    f->end = -1;
    f->page_at = -1;
  }
  return rc;
}

bool reserve(WalFile* f, sqlite3_int64 size) {
  if (size <= f->capacity) return true;
  const sqlite3_int64 capacity = std::max<sqlite3_int64>(size, std::max<sqlite3_int64>(2 * f->capacity, 64 * 1024));
  auto* grown = static_cast<unsigned char*>(std::realloc(f->buffer, size_t(capacity)));
  if (!grown) return false;
  f->buffer = grown;
  f->capacity = capacity;
  return true;
}

uint32_t read_be32(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* f = wal(file);
  const bool header = amount == kFrameHeaderBytes && f->page_at < 0 && f->end >= 0 && offset == f->end;
  const bool page = f->page_at >= 0 && offset == f->page_at && offset == f->end;
  if ((header || page) && (f->buffered == 0 || f->buffer_at + f->buffered == offset) &&
      reserve(f, f->buffered + amount)) {
    if (f->buffered == 0) f->buffer_at = offset;
    std::memcpy(f->buffer + f->buffered, data, size_t(amount));
    f->buffered += amount;
    f->end = offset + amount;
    if (header) {
      f->page_at = f->end;
      f->commit_frame = read_be32(static_cast<const unsigned char*>(data) + 4) != 0;  // size after commit
      return SQLITE_OK;
    }
    f->page_at = -1;
    if (f->commit_frame || f->buffered >= kMaxBuffered) {
      f->commit_frame = false;
      return flush(f);  // the commit's frames, with its result
    }
    return SQLITE_OK;
  }
  // Not an append of a frame: what is buffered goes first, then this write, unbuffered.
  int rc = flush(f);
  f->page_at = -1;
  f->commit_frame = false;
  if (rc == SQLITE_OK) rc = real_methods(f)->xWrite(f->real, data, amount, offset);
  if (rc != SQLITE_OK) {
    f->end = -1;
  } else if (offset == 0) {
    f->end = amount;  // the WAL header: the WAL (re)starts, frames follow it
  } else {
    f->end = std::max(f->end, offset + amount);
  }
  return rc;
}

int wal_close(sqlite3_file* file) {
  WalFile* f = wal(file);
  const int flushed = flush(f);
  const int rc = real_methods(f)->xClose(f->real);
  std::free(f->buffer);
  f->buffer = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile* f = wal(file);
  const int rc = flush(f);
  return rc != SQLITE_OK ? rc : real_methods(f)->xRead(f->real, out, amount, offset);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = wal(file);
  int rc = flush(f);
  if (rc == SQLITE_OK) rc = real_methods(f)->xTruncate(f->real, size);
  f->page_at = -1;
  f->end = rc == SQLITE_OK && f->end >= 0 ? std::min(f->end, size) : -1;
  return rc;
}

int wal_sync(sqlite3_file* file, int flags) {
  WalFile* f = wal(file);
  const int rc = flush(f);
  return rc != SQLITE_OK ? rc : real_methods(f)->xSync(f->real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = wal(file);
  const int rc = flush(f);
  return rc != SQLITE_OK ? rc : real_methods(f)->xFileSize(f->real, size);
}

int wal_lock(sqlite3_file* file, int lock) { return real_methods(wal(file))->xLock(wal(file)->real, lock); }
int wal_unlock(sqlite3_file* file, int lock) { return real_methods(wal(file))->xUnlock(wal(file)->real, lock); }
int wal_check_reserved(sqlite3_file* file, int* out) {
  return real_methods(wal(file))->xCheckReservedLock(wal(file)->real, out);
}

int wal_file_control(sqlite3_file* file, int op, void* arg) {
  WalFile* f = wal(file);
  const int rc = flush(f);
  return rc != SQLITE_OK ? rc : real_methods(f)->xFileControl(f->real, op, arg);
}

int wal_sector_size(sqlite3_file* file) { return real_methods(wal(file))->xSectorSize(wal(file)->real); }
int wal_device_characteristics(sqlite3_file* file) {
  return real_methods(wal(file))->xDeviceCharacteristics(wal(file)->real);
}

// The shared-memory and mmap methods belong to the database file; a WAL file forwards them.
int wal_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  WalFile* f = wal(file);
  return real_methods(f)->iVersion >= 2 ? real_methods(f)->xShmMap(f->real, page, size, extend, out)
                                        : SQLITE_IOERR_SHMMAP;
}
int wal_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  WalFile* f = wal(file);
  return real_methods(f)->iVersion >= 2 ? real_methods(f)->xShmLock(f->real, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}
void wal_shm_barrier(sqlite3_file* file) {
  WalFile* f = wal(file);
  if (real_methods(f)->iVersion >= 2) real_methods(f)->xShmBarrier(f->real);
}
int wal_shm_unmap(sqlite3_file* file, int delete_flag) {
  WalFile* f = wal(file);
  return real_methods(f)->iVersion >= 2 ? real_methods(f)->xShmUnmap(f->real, delete_flag) : SQLITE_OK;
}
int wal_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  WalFile* f = wal(file);
  *out = nullptr;
  const int rc = flush(f);
  if (rc != SQLITE_OK || real_methods(f)->iVersion < 3) return rc;
  return real_methods(f)->xFetch(f->real, offset, amount, out);
}
int wal_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  WalFile* f = wal(file);
  return real_methods(f)->iVersion >= 3 ? real_methods(f)->xUnfetch(f->real, offset, p) : SQLITE_OK;
}

const sqlite3_io_methods kWalMethods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

int vfs_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  // Every file but a WAL is the default VFS's own object, in the space SQLite gave us.
  if (!(flags & SQLITE_OPEN_WAL)) return g_default->xOpen(g_default, name, file, flags, out_flags);
  WalFile* f = wal(file);
  std::memset(f, 0, sizeof *f);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  const int rc = g_default->xOpen(g_default, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    f->base.pMethods = nullptr;  // SQLite then does not close it
    return rc;
  }
  f->end = -1;
  f->page_at = -1;
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest of the VFS is the default one's, called with its own sqlite3_vfs.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_default->xDelete(g_default, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_default->xAccess(g_default, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return g_default->xFullPathname(g_default, name, size, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return g_default->xDlOpen(g_default, name); }
void vfs_dl_error(sqlite3_vfs*, int size, char* out) { g_default->xDlError(g_default, size, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_default->xDlSym(g_default, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) { g_default->xDlClose(g_default, handle); }
int vfs_randomness(sqlite3_vfs*, int size, char* out) { return g_default->xRandomness(g_default, size, out); }
int vfs_sleep(sqlite3_vfs*, int micros) { return g_default->xSleep(g_default, micros); }
int vfs_current_time(sqlite3_vfs*, double* out) { return g_default->xCurrentTime(g_default, out); }
int vfs_get_last_error(sqlite3_vfs*, int size, char* out) { return g_default->xGetLastError(g_default, size, out); }
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_default->xCurrentTimeInt64(g_default, out); }
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
  return g_default->xSetSystemCall(g_default, name, call);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) {
  return g_default->xGetSystemCall(g_default, name);
}
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) { return g_default->xNextSystemCall(g_default, name); }

}  // namespace

const char* wal_append_vfs_name() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (!g_default) return;
    if (g_default->iVersion < 3) return;  // sqlite3_vfs version 3 is SQLite 3.7.6 (2011) on
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 3;
    g_vfs.szOsFile = int(kRealOffset) + g_default->szOsFile;  // ours + theirs; a plain file uses the start
    g_vfs.mxPathname = g_default->mxPathname;
    g_vfs.zName = "authwasm-wal-append";
    g_vfs.xOpen = vfs_open;
    g_vfs.xDelete = vfs_delete;
    g_vfs.xAccess = vfs_access;
    g_vfs.xFullPathname = vfs_full_pathname;
    g_vfs.xDlOpen = vfs_dl_open;
    g_vfs.xDlError = vfs_dl_error;
    g_vfs.xDlSym = vfs_dl_sym;
    g_vfs.xDlClose = vfs_dl_close;
    g_vfs.xRandomness = vfs_randomness;
    g_vfs.xSleep = vfs_sleep;
    g_vfs.xCurrentTime = vfs_current_time;
    g_vfs.xGetLastError = vfs_get_last_error;
    g_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    g_vfs.xSetSystemCall = vfs_set_system_call;
    g_vfs.xGetSystemCall = vfs_get_system_call;
    g_vfs.xNextSystemCall = vfs_next_system_call;
    if (sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK) name = g_vfs.zName;
  });
  return name;
}

}  // namespace authwasm::server
