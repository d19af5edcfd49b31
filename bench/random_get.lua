-- GET a random id in [MIN_ID, MAX_ID] substituted into PATH_TEMPLATE ("{id}").
local min_id = tonumber(os.getenv("MIN_ID"))
local max_id = tonumber(os.getenv("MAX_ID"))
local template = os.getenv("PATH_TEMPLATE")
math.randomseed(os.time())
request = function()
  local path = string.gsub(template, "{id}", tostring(math.random(min_id, max_id)))
  return wrk.format("GET", path)
end
