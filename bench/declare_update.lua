-- wrk script: a mix of declares (1 in 5) and structured updates (4 in 5) through the REST API.
local token = os.getenv("WARROOM_TOKEN")
local refs = {}
for ref in string.gmatch(os.getenv("WARROOM_REFS") or "", "[^,]+") do
  table.insert(refs, ref)
end
local counter = 0
local thread_id = 0
local failures = 0

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

request = function()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if counter % 5 == 0 then
    local body = '{"title":"bench incident ' .. thread_id .. "-" .. counter .. '","severity":"major"}'
    return wrk.format("POST", "/api/v1/incidents", headers, body)
  end
  local ref = refs[(counter % #refs) + 1]
  local body = '{"kind":"update","text":"still investigating, step ' .. counter .. '"}'
  return wrk.format("POST", "/api/v1/incidents/" .. ref .. "/updates", headers, body)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
