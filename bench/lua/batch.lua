-- Phones syncing their outbox: each wrk thread is one phone (its own account), sending
-- batches of BENCH_BATCH_ITEMS visits of its village's households in random order; from the
-- second batch on, a tenth of the items are replays of the previous batch's (a phone that
-- lost the answer sends them again).
local c = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
setup, init, response, done = c.setup, c.init, c.response, c.done
local visit = c.visit
local size = tonumber(os.getenv("BENCH_BATCH_ITEMS") or "200")
local previous = {}

request = function()
  sent = sent + 1
  local phone = c.data.phones[((tid or 1) - 1) % #c.data.phones + 1]
  local items = {}
  local replays = math.floor(size / 10)
  for i = 1, size do
    if #previous > 0 and i <= replays then
      items[i] = previous[math.random(#previous)]
    else
      items[i] = visit(phone.households)
    end
  end
  previous = items
  return wrk.format("POST", "/api/v1/visits/batch", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. phone.token },
    '{"items":[' .. table.concat(items, ",") .. ']}')
end
