// Messages between tabs of one browser (BroadcastChannel "authwasm:<clientId>", js/tabs.js):
// encoded here and validated here, so no tab acts on a message the core has not checked.
//
//   {"v":1, "type":"refreshed"|"logged_in"|"logged_out"|"session_ended"|"lock"
//          |"hello"|"bye"|"token_request"|"refresh_failed"|"handoff"   (memory mode's holder),
//    "from":<22-char sender id>, "seq":<per-sender counter>, "at":<sender's wall clock, ms>,
//    "token":{access_token, token_type, expires_in, lifetime, id_token?, scope?,
//             refresh_token (handoff only)}                              (refreshed, logged_in, handoff)
//    "to":<sender id>, "nonce":<login nonce>?                            (handoff)
//    "code":"network"|"timeout"|"server_error"|...                       (refresh_failed)
//    "op":"claim"|"held"|"released", "ttl":<ms>                          (lock: the fallback
//                                                                          when Web Locks are missing)}
//
// A shared token goes through Session::accept_token_response, the same checks as an answer
// from the token endpoint. Tokens in messages exist only in memory: BroadcastChannel is
// same-origin and in-memory, and the message is never written anywhere.
// Anything malformed, of another version or type, our own, replayed or stale is ignored and
// counted (TabState::stats, shown by session().tabMessages), never acted on.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "base/json.hpp"
#include "base/result.hpp"
#include "oauth/tokens.hpp"

namespace authwasm {

class Session;

constexpr int kTabMessageVersion = 1;
constexpr std::size_t kMaxTabMessageBytes = 16 * 1024;
constexpr long long kMaxTabMessageAgeMs = 30'000;  // older (or further in the future): stale

enum class TabIgnore { malformed, version, unknown_type, own, replay, stale, rejected, kinds };

struct TabState {
  std::string sender;              // this client's id: 128 random bits, created on first use
  long long next_seq = 1;
  long long last_token_wall = 0;   // when this tab last got tokens (own or adopted), sender's clock
  long long ended_wall = 0;        // when this tab's session last ended (logout, invalid_grant)
  // Per sender, oldest first: replays are dropped. A vector, as a std::map costs ~1 KB of wasm.
  std::vector<std::pair<std::string, long long>> last_seq;
  // Tabs heard from, most recent last (sender, wall ms): the hand-off goes to the last one.
  std::vector<std::pair<std::string, long long>> peers;
  unsigned received = 0;
  unsigned acted = 0;
  unsigned ignored[static_cast<int>(TabIgnore::kinds)] = {};
  std::string stats_json_text() const;  // {received, acted, ignored: {<TabIgnore>: count}}
};

struct TabAction {
  // peer: presence only; serve: the holder is asked for a token; refresh_failed: the holder's
  // refresh failed (`op` carries the code)
  enum Kind { ignore, adopt, logout, lock, peer, serve, refresh_failed } kind = ignore;
  std::string type;                // the message type (adopt: refreshed|logged_in; logout: logged_out|session_ended)
  TabIgnore why = TabIgnore::malformed;
  std::string detail;              // why it was ignored, for debugging
  bool was_authenticated = false;  // adopt/logout: whether this tab had tokens before
  Json user;                       // adopt
  std::string from, op;            // lock
  long long at = 0, ttl_ms = 0;    // lock
};

// `type` is one of the message types; `extra` carries op/ttl for "lock". refreshed and
// logged_in take the session's current tokens (not_authenticated without any).
Result<std::string> encode_tab_message(Session& session, const std::string& type, const Json& extra,
                                       const Clock& clock);
// `message` is whatever arrived on the channel (a JSON string when a tab sent it).
TabAction receive_tab_message(Session& session, const Json& message, const Clock& clock);

// Inside the cross-tab lock, before the network: did another tab refresh (or end the
// session) while this one waited? `since` is the generation when this refresh began.
enum class RefreshGate { proceed, skip, ended };
RefreshGate refresh_gate(const Session& session, unsigned since, long long mono_ms);

// The action as members of a JSON object (RFC 8259 §4), written straight into `out`.
void write_members(JsonWriter& out, const TabAction& action);
const char* to_string(TabIgnore why);

}  // namespace authwasm
