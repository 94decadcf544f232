-- Visits as helpers' phones send them one by one: each request a new visit (with the month's
-- ledger) by one of the visitors, for one of that visitor's households, taken in turn.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, init, response, done = c.setup, c.init, c.response, c.done
local visitors = c.data.visitors
local n = 0


request = function()
  n = n + 1
  local v = visitors[(n + (tid or 0)) % #visitors + 1]
  return wrk.format("POST", "/api/v1/visits", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. v.token },
    c.visit(v.households))
end
