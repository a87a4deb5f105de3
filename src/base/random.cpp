#include "base/random.hpp"

#include <unistd.h>

#include <algorithm>

namespace authwasm {

Result<std::string> random_bytes(std::size_t count) {
  std::string out(count, '\0');
  for (std::size_t done = 0; done < count;) {
    const std::size_t chunk = std::min<std::size_t>(256, count - done);  // getentropy's limit
    if (getentropy(out.data() + done, chunk) != 0) {
      return make_error(ErrorCode::random_unavailable, "the OS CSPRNG (getentropy) failed");
    }
    done += chunk;
  }
  return out;
}

}  // namespace authwasm
