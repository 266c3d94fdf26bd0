-- A plain GET of the URL given to wrk (ceiling, config): only counts statuses and reports.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, init, response, done = common.setup, common.init, common.response, common.done
