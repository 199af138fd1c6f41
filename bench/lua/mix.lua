-- Scenario: mix, 80% reads and searches (40% read by id, 30% search, 10% Binary), 20% creates.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("common")
function setup(thread) bench.setup(thread) end
function init(args) math.randomseed(os.time() + math.random(1000000)); bench.load() end
function request()
  local r = math.random(100)
  if r <= 40 then return bench.read()
  elseif r <= 70 then return bench.search()
  elseif r <= 80 then return bench.binary()
  else return bench.create() end
end
function response(status) bench.response(status) end
function done(summary, latency, requests) bench.done(summary, latency, requests) end
