-- POST auth/login (app client) as a random one of BENCH_N seeded users with the right password.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, response, done = common.setup, common.response, common.done
local n, password
function init(args)
  common.init()
  n = common.n()
  password = os.getenv("BENCH_PASSWORD")
end
function request()
  local body = string.format('{"email":"user%d@bench.test","password":"%s"}', math.random(1, n), password)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
