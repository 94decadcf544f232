-- GET one path again and again with the caller's token (BENCH_TOKEN), reporting percentiles.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, init, response, done = c.setup, c.init, c.response, c.done
local path, token = os.getenv("BENCH_PATH"), os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
