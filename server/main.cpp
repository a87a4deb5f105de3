// authwasm-server: the reference auth server (DESIGN.md §2, server/README.md).
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "app.hpp"
#include "base/random.hpp"
#include "clock.hpp"
#include "http_util.hpp"
#include "key_ring.hpp"
#include "listener.hpp"
#include "passwords.hpp"

using namespace authwasm::server;

namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "authwasm-server: %s\n", message.c_str());
  return code;
}

// --key-file was given, but the store already holds keys and this one is not among them: it
// is not used, which a deployer distributing keys the old way should hear about.
void warn_if_key_file_unused(const std::string& path, const std::vector<StoredKey>& stored) {
  std::string error;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  auto key = SigningKey::load_or_create(path, error);
  if (!key) return;
  for (const StoredKey& k : stored) {
    if (k.kid == key->kid()) return;
  }
  std::fprintf(stderr,
               "authwasm-server: note: the key of --key-file %s is not in the store, which has signing keys of "
               "its own; the file only seeds an empty store (server/README.md \"Signing keys and rotation\")\n",
               path.c_str());
}

void seed_demo_user(App& app) {
  if (app.store->user_by_name("demo")) return;
  auto hash = hash_password("demo-password");
  User user;
  if (hash) app.store->create_user("demo", *hash, now_millis(), user);
}

void install_handlers(httplib::Server& server, App& app, bool log_requests) {
  server.set_pre_routing_handler([&app](const httplib::Request& req, httplib::Response& res) {
    add_cors_headers(app.config, req, res);
    res.set_header("X-Content-Type-Options", "nosniff");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Every error answer is JSON {error, error_description}, including httplib's own (413, 400).
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string error = "invalid_request", description = "bad request";
    if (res.status == 404) {
      error = "not_found";
      description = "no such endpoint";
    } else if (res.status == 413) {
      description = "the request body is too large";
    } else if (res.status >= 500) {
      error = "server_error";
      description = "internal error";
    }
    send_error(res, res.status, error, description);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "server_error", "internal error");
  });
  if (log_requests) {
    // Method, path (never the query: it carries codes and state) and status. No headers.
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "keys") return run_keys_command(argc, argv);
  ConfigResult parsed = parse_config(argc, argv);
  if (parsed.help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) return fail(2, parsed.error + " (see --help)");

  // SIGTERM/SIGINT are taken by a dedicated thread (sigwait), so the handler may call
  // server.stop(), which is not async-signal-safe. Block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  App app;
  app.config = parsed.config;
  Config& config = app.config;
  std::string error;
  if (!ensure_data_dir(config.data_dir, error)) return fail(2, error);
  if (!config.static_dir.empty()) {
    struct stat st {};
    if (::stat(config.static_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return fail(2, "--static-dir " + config.static_dir + " is not a directory");
    }
  }

  ConnectionLimits limits;
  limits.request_deadline_ms = config.request_deadline * 1000;
  limits.per_address = config.max_connections_per_ip;
  HttpServer server(limits);
  const int threads = config.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  server.set_payload_max_length(config.max_body);
  // httplib writes headers and body separately: without TCP_NODELAY, Nagle + delayed ACK
  // add ~40 ms to many keep-alive responses (measured with bench/server.mjs).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(10000);
  // Announced as `Keep-Alive: timeout=N`; 1 made Node clients open a connection per request
  // (config.hpp). Shutdown is not delayed by it: serve_connection polls for stop() every 100 ms.
  server.set_keep_alive_timeout(time_t(config.keep_alive));
  int port = config.port;
  if (port == 0) {
    port = server.bind_to_any_port(config.bind);
  } else if (!server.bind_to_port(config.bind, port)) {
    port = -1;
  }
  if (port <= 0) return fail(1, "cannot listen on " + config.bind + ":" + std::to_string(config.port));
  const std::string backlog_warning = server.deepen_listen_backlog();
  if (!backlog_warning.empty()) std::fprintf(stderr, "authwasm-server: warning: %s\n", backlog_warning.c_str());

  error = finalize_config(config, port);
  if (!error.empty()) return fail(2, error + " (see --help)");

  app.store = open_store(config.store, config.data_dir, std::min(config.store_pool, config.threads), error);
  if (!app.store) return fail(1, error);
  // Signing keys come from the store; --key-file seeds a store that has none (key_ring.hpp).
  const auto stored_keys = ensure_signing_keys(*app.store, key_file_path(config), error);
  if (!stored_keys) return fail(1, error);
  app.keys = std::make_unique<KeyRing>(app.store.get());
  if (!app.keys->install(*stored_keys, error)) return fail(1, error);
  if (!config.key_file.empty()) warn_if_key_file_unused(config.key_file, *stored_keys);
  app.tokens = std::make_unique<TokenIssuer>(config, *app.keys);
  app.limiter = std::make_unique<RateLimiter>(config.login_burst, config.login_per_minute);
  app.register_limiter = std::make_unique<RateLimiter>(config.register_burst, config.register_burst);
  app.dpop = std::make_unique<DpopVerifier>(config);
  if (SharedState* shared = app.store->shared_state()) {
    // Several instances behind one URL: DPoP nonces, the jti record and the rate limits are
    // the same at every instance (server/README.md "Deployment").
    auto fresh = authwasm::random_bytes(32);
    auto secret = fresh ? app.store->server_secret("dpop-nonce", fresh.value()) : std::nullopt;
    if (!secret) return fail(1, "cannot read or store the DPoP nonce secret");
    app.dpop->share(shared, *secret);
    app.limiter->share(shared, "login");
    app.register_limiter->share(shared, "register");
  }
  if (config.demo) seed_demo_user(app);

  install_handlers(server, app, !config.quiet);
  register_auth_routes(server, app);
  register_oauth_routes(server, app);
  if (!config.static_dir.empty()) server.set_mount_point("/", config.static_dir);
  register_api_routes(server, app);

  app.keys->start_reloading(millis(config.key_reload));

  // Periodic purge of expired rows (and of full rate-limit buckets, and demo-expired jtis).
  std::mutex cleanup_mutex;
  std::condition_variable cleanup_cv;
  bool stopping = false;
  std::thread cleanup([&] {
    std::unique_lock<std::mutex> lock(cleanup_mutex);
    while (!cleanup_cv.wait_for(lock, std::chrono::seconds(config.cleanup_interval), [&] { return stopping; })) {
      const int64_t now_ms = now_millis();
      app.store->cleanup(now_ms);
      app.limiter->prune();
      app.register_limiter->prune();
      std::lock_guard<std::mutex> expired_lock(app.expired_mutex);
      for (auto it = app.expired_jti.begin(); it != app.expired_jti.end();) {  // exp: JWT seconds
        it = it->second <= numeric_date(now_ms) ? app.expired_jti.erase(it) : std::next(it);
      }
    }
  });

  // httplib's stop() does nothing until listen_after_bind() has set the server running, and the
  // first stdout line below (which tests and scripts wait for) comes before that: a SIGTERM
  // arriving in between would be lost and the server would run on. So wait for it to run.
  std::atomic<bool> listen_returned{false};
  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    while (!server.is_running() && !listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server.stop();
  });

  // Machine-readable first line: tests and scripts parse the port from it.
  std::printf("authwasm-server listening on http://%s:%d\n", config.bind.c_str(), port);
  std::printf("issuer %s\n", config.issuer.c_str());
  std::fflush(stdout);
  const bool listened = server.listen_after_bind();
  listen_returned = true;
  server.close_parked_connections();

  // Shutdown: stop the cleanup thread, make sure the signal thread ends, close the store
  // (which checkpoints the WAL). Every committed transaction is already durable.
  {
    std::lock_guard<std::mutex> lock(cleanup_mutex);
    stopping = true;
  }
  cleanup_cv.notify_all();
  cleanup.join();
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  app.keys->stop();
  app.tokens.reset();
  app.store.reset();
  std::fprintf(stderr, "authwasm-server: stopped\n");
  return listened ? 0 : 1;
}
