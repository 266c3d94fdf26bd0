-- POST auth/signup (app client) with a fresh address per request; each accepted signup queues one mail.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, response, done = common.setup, common.response, common.done
local counter, run, password = 0, "", ""
function init(args)
  common.init()
  password = os.getenv("BENCH_PASSWORD")
  run = string.format("%d%05d", os.time(), math.random(0, 99999))
end
function request()
  counter = counter + 1
  local body = string.format('{"email":"s%s-%d-%d@bench.test","password":"%s"}', run, id or 0, counter, password)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
