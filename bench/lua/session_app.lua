-- GET auth/session with an X-Session-Token drawn at random from BENCH_N seeded app sessions.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, response, done = common.setup, common.response, common.done
local n
function init(args)
  common.init()
  n = common.n()
end
function request()
  return wrk.format("GET", nil, { ["X-Session-Token"] = common.token("app", math.random(1, n)) })
end
