-- Shared by the bench's wrk scripts: data from the runner, unique ids, status counts, and
-- one JSON line of results (bench/run.py reads the line that starts with {"wrk":).
local M = {}

M.data = dofile(os.getenv("BENCH_LUA_DATA"))

local threads = {}
local counter = 0

function M.setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function M.init()
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + math.floor(os.clock() * 1e6))
  statuses = {}
  items = { stored = 0, already = 0, refused = 0 }
  refusals = {}
  sent = 0
end

local hex = "0123456789abcdef"
local function h(n)
  local out = {}
  for i = 1, n do
    local k = math.random(1, 16)
    out[i] = hex:sub(k, k)
  end
  return table.concat(out)
end

function M.uuid4()
  local v = math.random(9, 12)
  return h(8) .. "-" .. h(4) .. "-4" .. h(3) .. "-" .. hex:sub(v, v) .. h(3) .. "-" .. h(12)
end

function M.response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if body and status == 200 then
    local s, a, r = body:match('"stored":(%d+),"already_had":(%d+),"refused":(%d+)')
    if s then
      items.stored = items.stored + tonumber(s)
      items.already = items.already + tonumber(a)
      items.refused = items.refused + tonumber(r)
      -- why items were refused: their status and error code
      for code, err in body:gmatch('"status":(%d+),"error":"([%w_]+)"') do
        local key = code .. " " .. err
        refusals[key] = (refusals[key] or 0) + 1
      end
    end
  end
end

function M.done(summary, latency, requests)
  local all, got, why = {}, { stored = 0, already = 0, refused = 0 }, {}
  for _, thread in ipairs(threads) do
    local st = thread:get("statuses") or {}
    for code, n in pairs(st) do all[code] = (all[code] or 0) + n end
    for k, n in pairs(thread:get("refusals") or {}) do why[k] = (why[k] or 0) + n end
    local it = thread:get("items")
    if it then
      for k, n in pairs(it) do got[k] = got[k] + n end
    end
  end
  local reasons = {}
  for k, n in pairs(why) do table.insert(reasons, string.format('"%s":%d', k, n)) end
  local parts = {}
  for code, n in pairs(all) do table.insert(parts, string.format('"%d":%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    '{"wrk":1,"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d},' ..
    '"statuses":{%s},"items":{"stored":%d,"already_had":%d,"refused":%d},"refusals":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ","), got.stored, got.already, got.refused, table.concat(reasons, ",")))
end

-- One new visit (with the month's ledger) for one of `households`, as JSON.
function M.visit(households)
  local visited = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.random(60, 3000))
  return string.format(
    '{"id":"%s","household_id":"%s","kind":"home","visited_at":"%s",' ..
    '"position":{"latitude":35.%04d,"longitude":105.%04d,"accuracy_m":12},' ..
    '"checklist":{"food":{"ok":true},"clothing":{"ok":true},"education":{"ok":true},' ..
    '"medical":{"ok":true},"housing":{"ok":true},"drinking_water":{"ok":true}},' ..
    '"ledger":{"wage":%d,"business":%d,"transfer":300},' ..
    '"notes":"入户了解家庭生产生活情况,第%d次,户主说今年收成不错。","family_agrees":true,"agreed_by":"户主"}',
    M.uuid4(), households[math.random(#households)], visited, math.random(0, 9999),
    math.random(0, 9999), math.random(500, 3000), math.random(0, 800), math.random(1, 99999))
end

return M
