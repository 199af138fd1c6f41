-- Scenario: profile (see common.lua): a health profile search, one of the four types at random.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("common")
function setup(thread) bench.setup(thread) end
function init(args) math.randomseed(os.time() + math.random(1000000)); bench.load() end
function request() return bench.profile() end
function response(status) bench.response(status) end
function done(summary, latency, requests) bench.done(summary, latency, requests) end
