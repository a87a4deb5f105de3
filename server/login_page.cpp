// The login form GET /authorize shows: plain HTML, no script, the authorization request
// carried in hidden fields and re-validated on POST.
#include "app.hpp"
#include "http_util.hpp"

namespace authwasm::server {

std::string render_login_page(const httplib::Request& req, const std::string& error_message) {
  static const char* const kCarried[] = {"response_type", "client_id", "redirect_uri", "scope", "state",
                                         "nonce", "code_challenge", "code_challenge_method", "dpop_jkt"};
  std::string hidden;
  for (const char* name : kCarried) {
    if (req.get_param_value_count(name) != 1) continue;
    hidden += "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" +
              html_escape(req.get_param_value(name)) + "\">\n";
  }
  std::string error;
  if (!error_message.empty()) error = "<p class=\"error\" role=\"alert\">" + html_escape(error_message) + "</p>\n";
  const std::string username =
      req.get_param_value_count("username") == 1 ? html_escape(req.get_param_value("username")) : "";
  const std::string client = req.get_param_value_count("client_id") == 1 ? html_escape(req.get_param_value("client_id")) : "";
  return R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · authwasm</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; display: grid;
         place-items: center; min-height: 100vh; color: #1d2330; }
  main { background: #fff; padding: 2rem 2.25rem; border-radius: 10px; width: min(22rem, 90vw);
         box-shadow: 0 4px 20px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  p.sub { margin: 0 0 1.5rem; color: #5a6275; font-size: .9rem; }
  label { display: block; font-size: .85rem; margin: 1rem 0 .3rem; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem .7rem;
         border: 1px solid #c8ccd6; border-radius: 6px; font-size: 1rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .7rem; border: 0; border-radius: 6px;
           background: #2f5bea; color: #fff; font-size: 1rem; cursor: pointer; }
  button:hover { background: #2448c0; }
  .error { color: #b42318; background: #fef3f2; padding: .6rem .7rem; border-radius: 6px; font-size: .9rem; }
</style>
</head>
<body>
<main>
<h1>Sign in</h1>
<p class="sub">to continue to <strong>)" + client + R"(</strong></p>
)" + error + R"(<form method="post" action="/authorize">
)" + hidden + R"(<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required)" +
         (error.empty() ? " autofocus" : "") + R"( value=")" + username + R"(">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required)" +
         (error.empty() ? "" : " autofocus") + R"(>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
)";
}

}  // namespace authwasm::server
