// Comparison whose running time does not depend on where two secrets differ.
#pragma once
#include <string_view>

namespace authwasm {

inline bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are not secret here (fixed formats)
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace authwasm
