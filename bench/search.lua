-- GET /api/v1/search for each query of QUERIES (a "|"-separated list of query strings,
-- already URL-encoded), round robin, so one run mixes several common searches.
local queries = {}
for q in string.gmatch(os.getenv("QUERIES"), "[^|]+") do
  table.insert(queries, q)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/search?" .. queries[(n % #queries) + 1])
end

-- wrk --latency prints 50/75/90/99; the search target is stated at the 95th percentile.
done = function(summary, latency, requests)
  io.write(string.format("     95%%    %.2fms\n", latency:percentile(95) / 1000))
end
