// A SQLite VFS that writes a transaction's WAL frames with one pwrite(2) instead of two per
// page. SQLite appends each frame as two writes, its 24-byte header and then the page; with
// synchronous=NORMAL nothing is synced at a commit, so those writes are a commit's whole I/O,
// and on this project's 2-core VM each costs ~2.5 us of system time whatever its size (one
// 41 KB write costs what two small ones do). A refresh batch writes 4-10 frames.
//
// What it changes, and only for the WAL file (the database file and everything else go to the
// default VFS unchanged):
// - A frame appended at the end of the WAL (its header written at the offset where the last
//   write ended, its page right after) is kept in a buffer instead of being written at once.
// - The buffer is written out, with one write, when the frame that ends a transaction (its
//   header has a non-zero "database size after commit", the WAL format's commit marker) has
//   its page appended. That write's result is the result of that page's xWrite, so a failure
//   fails the COMMIT as an unbuffered write would, and it happens inside sqlite3WalFrames,
//   before the wal-index header makes the transaction visible to any connection, before
//   COMMIT returns. A committed transaction is therefore in the WAL file (the OS page cache)
//   at the same point as without this VFS: durable across a crash of the process; across a
//   power loss exactly as synchronous=NORMAL always was.
// - Anything else on the WAL file — a read, sync, truncate, size query, file control or close,
//   a write that is not such an append (the WAL header, a page rewritten in place, a
//   checksum rewrite) — first writes the buffer out, then goes to the default VFS. Frames of a
//   transaction that has not committed (a cache spill) may stay in the buffer until then; no
//   other connection reads a frame past the last commit, and recovery after a crash stops
//   where valid frames end, so losing them loses nothing committed.
// The file format, locking and the wal-index are the default VFS's: other processes (sqlite3,
// `authwasm-server keys`) use the same database as before.
#pragma once

namespace authwasm::server {

// Registers the VFS once (not as the default) and returns its name for sqlite3_open_v2, or
// nullptr if there is no default VFS to wrap (then open with the default).
const char* wal_append_vfs_name();

}  // namespace authwasm::server
