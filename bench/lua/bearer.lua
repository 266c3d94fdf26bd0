-- GET a protected host endpoint with Authorization: Bearer <access token>, the tokens read from the file
-- BENCH_TOKENS (one per line, logged in by bench/run.sh before the run) and used in turn.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, response, done = common.setup, common.response, common.done
local tokens, next_index = {}, 1
function init(args)
  common.init()
  for line in io.lines(os.getenv("BENCH_TOKENS")) do table.insert(tokens, line) end
  next_index = math.random(1, #tokens)
end
function request()
  next_index = next_index % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[next_index] })
end
