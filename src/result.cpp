#include "result.hpp"

namespace authwasm {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_base64url: return "invalid_base64url";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::invalid_jwt: return "invalid_jwt";
    case ErrorCode::random_unavailable: return "random_unavailable";
  }
  return "internal";
}

}  // namespace authwasm
