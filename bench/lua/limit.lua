-- The limit: one row per request through the bench-only POST /bench/limit, with a body the
-- size of a self-report's.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, init, response, done = c.setup, c.init, c.response, c.done
local villages = c.data.villages
request = function()
  local body = string.format(
    '{"id":"%s","area_code":"%s","name":"王秀英","phone":"13%09d","risk_types":["illness"],"note":"家里老人住院花了不少钱"}',
    c.uuid4(), villages[math.random(#villages)], math.random(0, 999999999))
  return wrk.format("POST", "/bench/limit", { ["Content-Type"] = "application/json" }, body)
end
