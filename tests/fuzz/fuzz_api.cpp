// authwasm::call, the core's single entry point (what JS reaches through Embind). Input: the
// first line is the operation name, the rest its JSON arguments. Whatever arrives, the answer
// is a JSON object with a boolean "ok"; a refusal carries a string "code" from the public
// list (README "Errors") and a string "message". Nothing may crash or abort.
//
// Session operations need a client: each input gets a fresh one (fixed configuration, logged
// in with a fixed token answer) whose handle is substituted for "handle":0, so the corpus does
// not depend on how many clients earlier inputs made. Every client is destroyed afterwards,
// so a long run does not pile them up.
#include <cstdint>
#include <set>
#include <string>

#include "api.hpp"
#include "fuzz_support.hpp"
#include "base/json.hpp"

namespace {

using namespace authwasm;

const std::set<std::string> kCodes = {
    "invalid_argument", "invalid_base64url", "invalid_json", "invalid_jwt", "random_unavailable",
    "configuration", "state_mismatch", "iss_mismatch", "invalid_callback", "login_required",
    "access_denied", "authorization_error", "invalid_response", "invalid_id_token", "invalid_grant",
    "server_error", "network", "not_authenticated"};

nlohmann::json check_reply(const std::string& reply) {
  FUZZ_CHECK(fuzz::is_utf8(reply), "the reply is UTF-8");
  // Plain nlohmann (no depth cap): answers may echo claims nested up to the cap, plus one.
  auto j = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!j.is_discarded() && j.is_object(), "the reply is a JSON object");
  FUZZ_CHECK(j.contains("ok") && j["ok"].is_boolean(), "the reply has a boolean ok");
  if (!j["ok"].get<bool>()) {
    FUZZ_CHECK(j.contains("code") && j["code"].is_string() && kCodes.count(j["code"].get<std::string>()),
               "a refusal has a stable code");
    FUZZ_CHECK(j.contains("message") && j["message"].is_string(), "a refusal has a message");
  }
  return j;
}

// A fresh, logged-in client for every input, so each input runs alone (reproducible).
long long make_fixture() {
  auto j = check_reply(call("create", R"({"options":{"issuer":"https://issuer.example","clientId":"spa",
      "redirectUri":"https://app.example/cb","refresh":"memory","leewaySeconds":0,
      "endpoints":{"revocation":"/revoke","endSession":"/logout"}}})"));
  FUZZ_CHECK(j["ok"] == true && j["handle"].is_number_integer(), "the fixture client is created");
  const long long handle = j["handle"].get<long long>();
  auto login = check_reply(call("acceptLoginResponse", "{\"handle\":" + std::to_string(handle) +
      R"(,"wall":1700000000000,"mono":1000,"response":{"status":200,"contentType":"application/json",
      "body":"{\"access_token\":\"a.b.c\",\"token_type\":\"Bearer\",\"expires_in\":60,\"refresh_token\":\"r1\"}"}})"));
  FUZZ_CHECK(login["ok"] == true, "the fixture client logs in");
  return handle;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string_view op = input.substr(0, nl);
  std::string args(nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1));

  // "handle":0 means the fixture client (a textual substitution, so even invalid JSON keeps it).
  const std::string placeholder = "\"handle\":0";
  const long long handle = make_fixture();
  for (auto at = args.find(placeholder); at != std::string::npos; at = args.find(placeholder, at + 1)) {
    args.replace(at, placeholder.size(), "\"handle\":" + std::to_string(handle));
  }

  auto reply = check_reply(call(op, args));

  if (op == "create" && reply["ok"] == true) {
    FUZZ_CHECK(reply["handle"].is_number_integer(), "create answers a handle");
    auto gone = check_reply(call("destroy", "{\"handle\":" + std::to_string(reply["handle"].get<long long>()) + "}"));
    FUZZ_CHECK(gone["ok"] == true, "a created client can be destroyed");
  }
  if (op == "authorization" && reply["ok"] == true && reply.contains("header")) {
    FUZZ_CHECK(reply["header"].is_string() && reply["header"].get<std::string>().rfind("Bearer ", 0) == 0,
               "the Authorization header is a Bearer credential");
  }
  call("destroy", "{\"handle\":" + std::to_string(handle) + "}");  // may already be gone
  return 0;
}
