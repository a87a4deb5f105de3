#include "base/result.hpp"

namespace authwasm {

Error make_error(ErrorCode code, const char* message) { return Error{code, message}; }

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_base64url: return "invalid_base64url";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::invalid_jwt: return "invalid_jwt";
    case ErrorCode::random_unavailable: return "random_unavailable";
    case ErrorCode::configuration: return "configuration";
    case ErrorCode::state_mismatch: return "state_mismatch";
    case ErrorCode::iss_mismatch: return "iss_mismatch";
    case ErrorCode::invalid_callback: return "invalid_callback";
    case ErrorCode::login_required: return "login_required";
    case ErrorCode::access_denied: return "access_denied";
    case ErrorCode::authorization_error: return "authorization_error";
    case ErrorCode::invalid_response: return "invalid_response";
    case ErrorCode::invalid_id_token: return "invalid_id_token";
    case ErrorCode::invalid_grant: return "invalid_grant";
    case ErrorCode::server_error: return "server_error";
    case ErrorCode::network: return "network";
    case ErrorCode::not_authenticated: return "not_authenticated";
    case ErrorCode::invalid_dpop_proof: return "invalid_dpop_proof";
  }
  return "internal";
}

}  // namespace authwasm
