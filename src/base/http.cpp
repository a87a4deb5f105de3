#include "base/http.hpp"

#include <cctype>

namespace authwasm {

std::string to_json_text(const HttpRequest& request) {
  JsonWriter headers;
  headers.string("Accept", "application/json");
  if (request.content_type) headers.string("Content-Type", request.content_type);
  if (!request.authorization.empty()) headers.string("Authorization", request.authorization);
  JsonWriter out;
  out.string("method", request.method);
  out.string("url", request.url);
  out.raw("headers", std::move(headers).close());
  out.string("credentials", request.credentials);
  if (!request.body.empty()) out.string("body", request.body);
  if (request.timeout_ms > 0) out.number("timeoutMs", request.timeout_ms);
  if (request.dpop) out.boolean("dpop", true);
  if (request.dpop_ath) out.boolean("dpopAth", true);
  return std::move(out).close();
}

HttpResponse http_response_from_json(const Json& object) {
  HttpResponse response;
  response.status = static_cast<int>(int_or(object, "status", 0));
  response.content_type = string_or_empty(object, "contentType");
  response.www_authenticate = string_or_empty(object, "wwwAuthenticate");
  response.body = string_or_empty(object, "body");
  response.dpop_nonce = string_or_empty(object, "dpopNonce");
  auto truncated = object.find("truncated");
  response.truncated = truncated != object.end() && truncated->is_boolean() && truncated->get<bool>();
  return response;
}

bool is_json_content_type(const std::string& content_type) {
  std::string media;
  for (char c : content_type) {
    if (c == ';') break;
    if (c != ' ' && c != '\t') media += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (media == "application/json") return true;
  return media.size() > 5 && media.compare(0, 12, "application/") == 0 &&
         media.compare(media.size() - 5, 5, "+json") == 0;
}

}  // namespace authwasm
