-- wrk script for bench/server.mjs: refresh loops driven by wrk (LuaJIT) instead of Node, whose
-- own CPU per refresh (190-315 us) capped the measured ratio on a 2-core machine.
-- Run with `-t N -c N`: one connection per thread, and each thread is one session refreshing
-- with the token its previous answer gave it.
-- Environment:
--   REFRESH_MODE    "authwasm" (POST /auth/refresh, cookie authwasm_rt, rotated by Set-Cookie)
--                   or "oidc" (POST /token, grant_type=refresh_token, rotated refresh_token in
--                   the JSON body)
--   REFRESH_TOKENS  the sessions' current tokens, space-separated, one per thread
--   REFRESH_ORIGIN  the Origin header (authwasm); REFRESH_CLIENT_ID the client_id (oidc)
-- done() prints one line "refresh-result {json}": requests, the answers that were not 200 (or
-- 200 without a rotated token) by status, socket errors, and latency percentiles in us.
-- wrk stops on a timer, so the refresh in flight then is lost: give each run fresh sessions.

local mode = os.getenv("REFRESH_MODE") or "authwasm"
local threads = {}
local index = 0

function setup(thread)
  local tokens = {}
  for t in string.gmatch(os.getenv("REFRESH_TOKENS") or "", "%S+") do tokens[#tokens + 1] = t end
  index = index + 1
  thread:set("token", tokens[index] or "")
  thread:set("mode", mode)
  thread:set("origin", os.getenv("REFRESH_ORIGIN") or "")
  thread:set("client_id", os.getenv("REFRESH_CLIENT_ID") or "")
  threads[#threads + 1] = thread
end

function init(args)
  statuses = {}
  non200 = 0
end

function request()
  if mode == "authwasm" then
    -- An empty body, not nil: wrk.format writes Content-Length from the body (and drops one
    -- given as a header), and a POST without it is read until the connection closes.
    return wrk.format("POST", "/auth/refresh", { ["Origin"] = origin, ["Cookie"] = "authwasm_rt=" .. token }, "")
  end
  return wrk.format("POST", "/token", { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    statuses[status] = (statuses[status] or 0) + 1
    return
  end
  local next_token
  if mode == "authwasm" then
    next_token = string.match(headers["Set-Cookie"] or "", "^authwasm_rt=([^;]*)")
  else
    next_token = string.match(body, '"refresh_token":"([^"]+)"')
  end
  if next_token and next_token ~= "" then
    token = next_token
  else
    non200 = non200 + 1  -- a 200 without a rotated token counts as an error too
    statuses["200-no-token"] = (statuses["200-no-token"] or 0) + 1
  end
end

function done(summary, latency, requests)
  local errors, by_status = 0, {}
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("non200")
    for status, n in pairs(thread:get("statuses")) do
      by_status[#by_status + 1] = '"' .. tostring(status) .. '":' .. n
    end
  end
  io.write(string.format(
    'refresh-result {"requests":%d,"us":%d,"errors":%d,"statuses":{%s},"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, errors, table.concat(by_status, ","),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
