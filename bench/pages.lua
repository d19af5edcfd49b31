-- GET a random line of PATHS_FILE: "path", or "path<TAB>etag" sent as If-None-Match (a
-- revalidation, answered 304).
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  local path, etag = line:match("^([^\t]+)\t?(.*)$")
  table.insert(paths, { path, etag })
end
math.randomseed(os.time())
request = function()
  local pick = paths[math.random(#paths)]
  if pick[2] ~= "" then
    return wrk.format("GET", pick[1], { ["If-None-Match"] = pick[2] })
  end
  return wrk.format("GET", pick[1])
end
