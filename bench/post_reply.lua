-- POST a reply to a random thread in [MIN_ID, MAX_ID] as the member whose TOKEN is given.
local min_id = tonumber(os.getenv("MIN_ID"))
local max_id = tonumber(os.getenv("MAX_ID"))
local token = os.getenv("TOKEN")
-- The request body (JSON); by default a short reply with a link and no code.
local body = os.getenv("REPLY_JSON")
  or '{"body":"Benchmark reply with **some** Markdown and a [link](https://example.com)."}'
math.randomseed(os.time())
request = function()
  local path = "/api/v1/threads/" .. tostring(math.random(min_id, max_id)) .. "/replies"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
