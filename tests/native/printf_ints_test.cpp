// bindings/printf_ints.cpp, the wasm build's snprintf (nlohmann's lexer is its one caller),
// compiled here under other names and compared with the C library's snprintf on everything
// it claims to support (C17 §7.21.6.1, 32-bit integer arguments).
#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <string>

#define vsnprintf authwasm_test_vsnprintf
#define snprintf authwasm_test_snprintf
#include "../../bindings/printf_ints.cpp"
#undef vsnprintf
#undef snprintf

namespace {

template <class... Args>
std::string ours(std::size_t cap, const char* format, Args... args) {
  char out[64] = "untouched";
  const int n = authwasm_test_snprintf(out, cap, format, args...);
  return std::to_string(n) + ":" + (cap ? std::string(out) : std::string("untouched"));
}

template <class... Args>
std::string theirs(std::size_t cap, const char* format, Args... args) {
  char out[64] = "untouched";
  const int n = std::snprintf(out, cap, format, args...);
  return std::to_string(n) + ":" + (cap ? std::string(out) : std::string("untouched"));
}

}  // namespace

TEST(PrintfInts, MatchesTheCLibraryOnIntegers) {
  const char* formats[] = {"%d", "%i", "%u", "%x", "%X", "%5d", "%-5d|", "%05d", "%.3d", "%.0d", "%8.3x", "%-08X|",
                           "%012i", "%.12u", "%hhd", "%hhu", "%hd", "%hu", "%hx", "%.4X", "<U+%.4X>", "\\u%04x",
                           "a%%b%dc", "%-3u|%3u"};
  const int values[] = {0, 1, -1, 7, 42, -42, 255, 256, -129, 0x1F, 65535, 65536, -32769, INT_MAX, INT_MIN};
  for (const char* format : formats) {
    for (int value : values) {
      EXPECT_EQ(ours(64, format, value, value), theirs(64, format, value, value)) << format << " " << value;
    }
  }
  EXPECT_EQ(ours(64, "100%% %x-%X-%d", 0xabcu, 0xabcu, -5), "15:100% abc-ABC--5");
  EXPECT_EQ(theirs(64, "100%% %x-%X-%d", 0xabcu, 0xabcu, -5), "15:100% abc-ABC--5");
}

// The return value is the whole length; the text is cut to cap - 1 bytes and NUL-terminated.
TEST(PrintfInts, TruncatesLikeSnprintf) {
  for (std::size_t cap : {0, 1, 2, 5, 9, 10, 11}) {
    EXPECT_EQ(ours(cap, "<U+%.4X>", 0x1F), theirs(cap, "<U+%.4X>", 0x1F)) << cap;
  }
}

// What it does not support ends the output with '?', never reading the arguments after it.
TEST(PrintfInts, UnsupportedConversionsStopWithAQuestionMark) {
  EXPECT_EQ(ours(64, "a%sb%d", "x", 5), "2:a?");
  EXPECT_EQ(ours(64, "a%+db%d", 1, 5), "2:a?");
  EXPECT_EQ(ours(64, "%lld %d", 1LL, 5), "1:?");
  EXPECT_EQ(ours(64, "%*d", 3, 5), "1:?");
  EXPECT_EQ(ours(64, "%f", 1.5), "1:?");
  EXPECT_EQ(ours(64, "%c", 'x'), "1:?");
  EXPECT_EQ(ours(64, "end%"), "4:end?");
}
