// Protected sample resources (verified from the JWT alone, no database), the --demo and
// --debug-stats helpers, CORS preflights, and the static SPA with its index.html fallback.
#include <fstream>
#include <sstream>

#include "app.hpp"
#include "http_util.hpp"

namespace authwasm::server {
namespace {

// GET /api/posts answers {viewer, posts}: the posts are the same for everyone, so they are
// serialised once and only the viewer per request (the body is byte for byte dump_json of the
// whole object, whose members keep their order).
const std::string& sample_posts_json() {
  static const std::string posts = dump_json(Json::array({
      Json{{"id", 1}, {"title", "Hello from the reference server"},
           {"body", "This list came back because your access token verified."}},
      Json{{"id", 2}, {"title", "Refresh tokens rotate"},
           {"body", "Each refresh gives a new HttpOnly cookie; reuse revokes the session."}},
      Json{{"id", 3}, {"title", "Access tokens live in memory"},
           {"body", "Never in localStorage, never in a readable cookie."}},
  }));
  return posts;
}

void send_sample_posts(httplib::Response& res, const AccessClaims& claims) {
  send_json(res, 200, Json());  // status and the no-store headers of every JSON answer
  res.set_content("{\"viewer\":" + dump_json(claims.sub) + ",\"posts\":" + sample_posts_json() + "}",
                  "application/json");
}

bool is_api_path(const std::string& path) {
  for (const char* prefix : {"/api/", "/auth/", "/.well-known/", "/debug/", "/demo/"}) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return path == "/api" || path == "/token" || path == "/authorize" || path == "/auth";
}

}  // namespace

void register_api_routes(httplib::Server& server, App& app) {
  server.Get("/api/posts", [&app](const httplib::Request& req, httplib::Response& res) {
    app.stats.api_requests++;
    AccessClaims claims;
    if (!app.authenticate(req, res, claims)) return;
    send_sample_posts(res, claims);
  });

  server.Get(R"(/api/.*)", [&app](const httplib::Request& req, httplib::Response& res) {
    app.stats.api_requests++;
    AccessClaims claims;
    if (!app.authenticate(req, res, claims)) return;
    send_error(res, 404, "not_found", "no such resource");
  });

  if (app.config.demo) {
    // Makes the presented access token count as expired from now on (in memory), so a demo
    // can show the client's 401 → refresh → retry path without waiting for `exp`.
    server.Post("/demo/expire-token", [&app](const httplib::Request& req, httplib::Response& res) {
      if (!check_origin(app.config, req, res, false)) return;
      AccessClaims claims;
      if (!app.authenticate(req, res, claims)) return;
      std::lock_guard<std::mutex> lock(app.expired_mutex);
      app.expired_jti[claims.jti] = claims.exp;
      res.set_header("Cache-Control", "no-store");
      res.status = 204;
    });
  }

  if (app.config.debug_stats) {
    server.Get("/debug/stats", [&app](const httplib::Request&, httplib::Response& res) {
      const Stats& s = app.stats;
      Json out = {{"refresh_requests", s.refresh_requests.load()}, {"refresh_rotated", s.refresh_rotated.load()},
                  {"refresh_grace", s.refresh_grace.load()},       {"refresh_reuse", s.refresh_reuse.load()},
                  {"refresh_rejected", s.refresh_rejected.load()}, {"logins", s.logins.load()},
                  {"login_failures", s.login_failures.load()},     {"token_exchanges", s.token_exchanges.load()},
                  {"api_requests", s.api_requests.load()},          {"dpop", app.dpop->stats()}};
      if (auto store = app.store->stats()) {  // group commit and checkpoints (SqliteStore)
        out["store"] = Json{{"refreshes", store->refreshes},           {"batches", store->batches},
                            {"largest_batch", store->largest_batch},   {"failed_batches", store->failed_batches},
                            {"timed_out", store->timed_out},           {"checkpoints", store->checkpoints},
                            {"held_checkpoints", store->held_checkpoints}};
      }
      send_json(res, 200, out);
    });
  }

  // CORS preflight (Fetch standard): only listed origins get an answer a browser accepts.
  server.Options(R"(.*)", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!origin_allowed(app.config, req.get_header_value("Origin"))) {
      return send_error(res, 403, "access_denied", "Origin is not allowed");
    }
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP");  // RFC 9449 §4.1
    res.set_header("Access-Control-Max-Age", "600");
    res.status = 204;
  });

  // Anything else: JSON 404 for API-ish paths; the SPA's index.html for its client-side routes.
  server.Get(R"(.*)", [&app](const httplib::Request& req, httplib::Response& res) {
    if (app.config.static_dir.empty() || is_api_path(req.path)) {
      return send_error(res, 404, "not_found", "no such endpoint");
    }
    std::ifstream in(app.config.static_dir + "/index.html", std::ios::binary);
    if (!in) return send_error(res, 404, "not_found", "no index.html in the static directory");
    std::ostringstream body;
    body << in.rdbuf();
    res.set_header("Cache-Control", "no-cache");
    res.set_content(body.str(), "text/html; charset=utf-8");
  });
}

}  // namespace authwasm::server
