-- Shared by the scenarios: the seeded ids (BENCH_IDS: "patient document binary visible|masked" per line),
-- the practitioner's token (BENCH_TOKEN), and a summary written by done() to BENCH_SUMMARY.
local M = {}

M.token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
M.docs, M.patients, M.binaries = {}, {}, {}

function M.load()
  local seen = {}
  for line in io.lines(os.getenv("BENCH_IDS") or error("BENCH_IDS is not set")) do
    local patient, document, binary, visibility = line:match("^(%S+) (%S+) (%S+) (%S+)$")
    if patient then
      if visibility == "visible" then
        M.docs[#M.docs + 1] = document
        M.binaries[#M.binaries + 1] = binary
      end
      if not seen[patient] then
        seen[patient] = true
        M.patients[#M.patients + 1] = patient
      end
    end
  end
end

function M.pick(list) return list[math.random(#list)] end

function M.get(path)
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. M.token, ["Accept"] = "application/fhir+json" })
end

function M.post(path, body)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. M.token,
    ["Content-Type"] = "application/fhir+json",
    ["Accept"] = "application/fhir+json",
  }, body)
end

function M.read() return M.get("/fhir/DocumentReference/" .. M.pick(M.docs)) end
function M.search() return M.get("/fhir/DocumentReference?patient=" .. M.pick(M.patients)) end
function M.binary() return M.get("/fhir/Binary/" .. M.pick(M.binaries)) end

-- The health profile (issue 15): each of the four searches an app makes to show a record's profile, picked at random.
M.profile_searches = {
  "Condition?patient=%s",
  "MedicationStatement?patient=%s&status=active",
  "Immunization?patient=%s",
  "Observation?patient=%s&code=http://loinc.org%%7C29463-7&_sort=-date",
}
function M.profile() return M.get("/fhir/" .. string.format(M.pick(M.profile_searches), M.pick(M.patients))) end

function M.create()
  return M.post("/fhir/AllergyIntolerance", string.format(
    '{"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},'
    .. '"code":{"coding":[{"system":"http://snomed.info/sct","code":"300913006","display":"Shellfish allergy"}]},'
    .. '"patient":{"reference":"Patient/%s"},"recordedDate":"2026-11-23"}', M.pick(M.patients)))
end

-- Status counts per thread (each wrk thread has its own Lua state), gathered in done().
local threads = {}
function M.setup(thread) threads[#threads + 1] = thread end

function M.response(status)
  counts = counts or {}
  local key = "s" .. status
  counts[key] = (counts[key] or 0) + 1
end

function M.done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("counts") or {}) do statuses[k] = (statuses[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(statuses) do parts[#parts + 1] = k:sub(2) .. ":" .. v end
  table.sort(parts)
  local e = summary.errors
  -- Shell assignments, sourced by run.sh (a fresh machine has no JSON tool).
  local out = io.open(os.getenv("BENCH_SUMMARY") or "/dev/stdout", "w")
  out:write(string.format(
    "requests=%d\nseconds=%.3f\nrps=%.1f\np50=%.2f\np99=%.2f\nmax=%.2f\nsocket_errors=%d\nnon2xx=%d\nstatuses='%s'\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, table.concat(parts, " ")))
  out:close()
end

return M
