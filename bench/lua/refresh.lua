-- POST /_allauth/app/v1/tokens/refresh: each refresh token is single-use (rotation), so the script keeps a
-- pool (BENCH_TOKENS: one refresh token per line, more than connections) and puts back the one each answer
-- carries. A failed refresh loses its token; when the pool is empty a spent one is sent (and counted non-OK).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, done = common.setup, common.done
local pool, head, tail, last = {}, 1, 0, ""
function init(args)
  common.init()
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tail = tail + 1; pool[tail] = line end
end
function request()
  if head <= tail then
    last = pool[head]; pool[head] = nil; head = head + 1
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, '{"refresh_token":"' .. last .. '"}')
end
function response(status, headers, body)
  common.response(status)
  local token = body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if status == 200 and token then tail = tail + 1; pool[tail] = token end
end
