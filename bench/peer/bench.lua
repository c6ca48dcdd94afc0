-- wrk script shared by both systems (django-helpdesk and Qinqing).  Configured through environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_PATH     request path; "{id}" is replaced by a random id (BENCH_IDS, else 1..BENCH_ID_MAX)
--   BENCH_ID_MAX   upper bound for {id} (0: no substitution)
--   BENCH_IDS      comma-separated ids to pick {id} from (ids in the user's scope)
--   BENCH_COOKIE   Cookie header (logged-in session)
--   BENCH_CSRF     X-CSRFToken header value (for POST)
--   BENCH_AUTH     Authorization header value (API token)
--   BENCH_BODY     JSON request body (for POST); "{seq}" is replaced by a value unique per request,
--                  "{num9}" by a 9-digit number unique per request (BENCH_NUM_BASE offsets it per run)
--   BENCH_EXPECT   expected status (200 default)
--   BENCH_MARKER   substring every good response body must contain
--   BENCH_XFF_MAX  if set, each request carries X-Forwarded-For from one of that many client addresses
-- Every response is checked: wrong status and missing marker are counted separately and printed
-- with the latency percentiles as one JSON line.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  bad_status = 0
  no_marker = 0
  ok = 0
  seq = 0
  marker = os.getenv("BENCH_MARKER") or ""
  expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
  method = os.getenv("BENCH_METHOD") or "GET"
  path_tpl = os.getenv("BENCH_PATH") or "/"
  idmax = tonumber(os.getenv("BENCH_ID_MAX") or "0")
  ids = {}
  for v in string.gmatch(os.getenv("BENCH_IDS") or "", "[^,]+") do table.insert(ids, v) end
  hdrs = {}
  if os.getenv("BENCH_COOKIE") then hdrs["Cookie"] = os.getenv("BENCH_COOKIE") end
  if os.getenv("BENCH_CSRF") then hdrs["X-CSRFToken"] = os.getenv("BENCH_CSRF") end
  if os.getenv("BENCH_AUTH") then hdrs["Authorization"] = os.getenv("BENCH_AUTH") end
  body = os.getenv("BENCH_BODY")
  if body then hdrs["Content-Type"] = "application/json" end
  dynamic_body = body and (string.find(body, "{seq}", 1, true) or string.find(body, "{num9}", 1, true))
  num_base = tonumber(os.getenv("BENCH_NUM_BASE") or "0")
  run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
  math.randomseed(os.time() * 100 + tid)
  xffmax = tonumber(os.getenv("BENCH_XFF_MAX") or "0")
  static_req = nil
  if idmax == 0 and #ids == 0 and not dynamic_body and xffmax == 0 then
    static_req = wrk.format(method, path_tpl, hdrs, body)
  end
end

function request()
  if static_req then return static_req end
  local p = path_tpl
  if #ids > 0 then
    p = (string.gsub(path_tpl, "{id}", ids[math.random(1, #ids)]))
  elseif idmax > 0 then
    p = (string.gsub(path_tpl, "{id}", tostring(math.random(1, idmax))))
  end
  local b = body
  if dynamic_body then
    seq = seq + 1
    b = (string.gsub(body, "{seq}", run_id .. "-" .. tid .. "-" .. seq))
    b = (string.gsub(b, "{num9}", string.format("%09d", (num_base + tid * 10000000 + seq) % 1000000000)))
  end
  if xffmax > 0 then
    local n = math.random(0, xffmax - 1)
    hdrs["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 62500), math.floor(n / 250) % 250, n % 250 + 1)
  end
  return wrk.format(method, p, hdrs, b)
end

function response(status, headers, b)
  if status ~= expect then
    bad_status = bad_status + 1
  elseif marker ~= "" and not string.find(b, marker, 1, true) then
    no_marker = no_marker + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local bs, nm, okc = 0, 0, 0
  for _, t in ipairs(threads) do
    bs = bs + t:get("bad_status")
    nm = nm + t:get("no_marker")
    okc = okc + t:get("ok")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"err_connect": %d, "err_read": %d, "err_write": %d, "err_status": %d, "err_timeout": %d, ' ..
    '"bad_status": %d, "no_marker": %d, "ok": %d, ' ..
    '"lat_mean_us": %.1f, "lat_max_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    bs, nm, okc,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
