-- POST /indexes/$INDEX/search straight to Meilisearch, round robin over BODIES (JSON search
-- requests, one per line): the same requests devforum's adapter sends, for the ratio of
-- devforum's throughput to its engine's.
local bodies = {}
for body in string.gmatch(os.getenv("BODIES"), "[^\n]+") do
  table.insert(bodies, body)
end
local path = "/indexes/" .. os.getenv("INDEX") .. "/search"
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. os.getenv("MEILI_KEY"),
}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", path, headers, bodies[(n % #bodies) + 1])
end

done = function(summary, latency, requests)
  io.write(string.format("     95%%    %.2fms\n", latency:percentile(95) / 1000))
end
