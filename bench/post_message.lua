-- POST a message to a random conversation in [MIN_ID, MAX_ID] as the member whose TOKEN is
-- given (they take part in every one of them).
local min_id = tonumber(os.getenv("MIN_ID"))
local max_id = tonumber(os.getenv("MAX_ID"))
local token = os.getenv("TOKEN")
local body = '{"body":"Benchmark message with **some** Markdown and a [link](https://example.com)."}'
math.randomseed(os.time())
request = function()
  local path = "/api/v1/conversations/" .. tostring(math.random(min_id, max_id)) .. "/messages"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
