-- PUT an RSVP to a random meetup in [MIN_ID, MAX_ID] as the member whose TOKEN is given: the
-- first time takes a seat or joins the waitlist, repeats answer the RSVP already there; every
-- request takes the meetup's row lock.
local min_id = tonumber(os.getenv("MIN_ID"))
local max_id = tonumber(os.getenv("MAX_ID"))
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local path = "/api/v1/meetups/" .. tostring(math.random(min_id, max_id)) .. "/rsvp"
  return wrk.format("PUT", path, { ["Authorization"] = "Bearer " .. token })
end
