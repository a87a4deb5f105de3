// Password hashing with argon2id (RFC 9106), parameters of OWASP's password storage cheat
// sheet (m = 19 MiB, t = 2, p = 1), stored in the self-describing PHC string format.
#pragma once
#include <optional>
#include <string>

namespace authwasm::server {

std::optional<std::string> hash_password(const std::string& password);
// Constant-time comparison inside libargon2. Also burns the same work for unknown users
// (`encoded` empty) so response times do not reveal which usernames exist.
bool verify_password(const std::string& password, const std::string& encoded);

// Username: 1..64 of [A-Za-z0-9._@+-]; password: 8..1024 bytes.
bool valid_username(const std::string& username);
bool valid_password(const std::string& password);

}  // namespace authwasm::server
