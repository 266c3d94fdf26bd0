-- Shared by the wrk scripts of bench/run.sh: counts response statuses per thread and, when wrk is done,
-- prints one line "WRKJSON {...}" with requests/s, latency percentiles (microseconds) and the statuses.
-- Settings come from the environment: BENCH_N (how many sessions/users to draw from), BENCH_PASSWORD.
local common = {}

local threads = {}

function common.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function common.init()
  statuses = {}
  local seed = os.time() * 1000 + (id or 0) * 7919
  math.randomseed(seed)
  for _ = 1, 10 do math.random() end
end

function common.response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function common.done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout, table.concat(parts, ",")))
end

function common.n()
  return tonumber(os.getenv("BENCH_N") or "1")
end

-- Token i of a client, as seeded by bench/Tools seed-sqlite and bench/sql/seed.sql: 32 characters.
function common.token(prefix, i)
  return string.format("%s%029d", prefix, i)
end

return common
