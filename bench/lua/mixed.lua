-- Scenario: mixed (issue 12's operational mix), 70% reads by id, 20% patient searches, 10% creates.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("common")
function setup(thread) bench.setup(thread) end
function init(args) math.randomseed(os.time() + math.random(1000000)); bench.load() end
function request()
  local r = math.random(100)
  if r <= 70 then return bench.read()
  elseif r <= 90 then return bench.search()
  else return bench.create() end
end
function response(status) bench.response(status) end
function done(summary, latency, requests) bench.done(summary, latency, requests) end
