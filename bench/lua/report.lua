-- 一键报贫 from many farmers: a new report id, phone and client address every request (the
-- address through X-Forwarded-For, as the deploy's nginx sets it), so the per-phone and
-- per-address limits count as they would in a county, at their production values.
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, init, response, done = c.setup, c.init, c.response, c.done
local villages = c.data.villages
local risks = { "illness", "schooling", "disability", "disaster", "accident", "unstable_employment" }
request = function()
  local body = string.format(
    '{"id":"%s","area_code":"%s","name":"王秀英","phone":"1%d%09d","risk_types":["%s"],"note":"家里老人住院花了不少钱"}',
    c.uuid4(), villages[math.random(#villages)], math.random(3, 9), math.random(0, 999999999),
    risks[math.random(#risks)])
  local address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/v1/self-reports", {
    ["Content-Type"] = "application/json", ["X-Forwarded-For"] = address }, body)
end
