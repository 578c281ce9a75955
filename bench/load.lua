-- wrk script for the bench's load part (bench/wrk.ts runs it). From the environment: LOAD_METHOD (default GET),
-- LOAD_PATHS (paths separated by commas, taken in turn by each thread) and LOAD_BODY (sent as JSON when set).
-- Counts the answers by status in every thread and prints, when wrk is done, one line "WRK_JSON {...}": requests,
-- duration, socket errors, latency percentiles (microseconds), the status counts and how many 503s came without
-- the Retry-After header openapi.yaml documents for them.

local method = os.getenv("LOAD_METHOD") or "GET"
local body = os.getenv("LOAD_BODY")
local paths = {}
for p in string.gmatch(os.getenv("LOAD_PATHS") or "/", "[^,]+") do
  paths[#paths + 1] = p
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  statuses = {}
  no_retry_after = 0
  turn = 0
  headers = {}
  if body then
    headers["Content-Type"] = "application/json"
  end
end

function request()
  turn = turn + 1
  return wrk.format(method, paths[(turn - 1) % #paths + 1], headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 503 and not (headers["Retry-After"] or headers["retry-after"]) then
    no_retry_after = no_retry_after + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  local missing = 0
  for _, thread in ipairs(threads) do
    missing = missing + thread:get("no_retry_after")
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local counts = {}
  for status, count in pairs(total) do
    counts[#counts + 1] = string.format('"%d":%d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":{%s},"noRetryAfter":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(counts, ","), missing))
end
