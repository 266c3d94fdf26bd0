-- GET auth/session with a sessionid cookie drawn at random from BENCH_N seeded browser sessions.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, response, done = common.setup, common.response, common.done
local n
function init(args)
  common.init()
  n = common.n()
end
function request()
  return wrk.format("GET", nil, { ["Cookie"] = "sessionid=" .. common.token("brw", math.random(1, n)) })
end
