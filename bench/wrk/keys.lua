-- wrk script for the record-count comparison: every request goes through this Lua `request()`, so the
-- 10-record and the 100k-record runs cost the client the same.
--   wrk ... -s bench/wrk/keys.lua URL -- challenge N     N = 0: always K7PX-22QA; else BENCH-000000..N-1 at random
--   wrk ... -s bench/wrk/keys.lua URL -- session N       N = 0: always 312909075212468632; else "4" .. %017d of i (400000000000000000 + i)
local requests = {}
local count = 0

function init(args)
  local kind, n = args[1], tonumber(args[2] or "0")
  math.randomseed(os.time())
  local function add(path, headers)
    count = count + 1
    requests[count] = wrk.format("GET", path, headers)
  end
  if kind == "challenge" then
    local headers = { ["X-WalletKit-Project-ID"] = "proj_demo" }
    if n == 0 then
      add("/users/session-challenge?code=K7PX-22QA", headers)
    else
      for i = 0, n - 1 do add(string.format("/users/session-challenge?code=BENCH-%06d", i), headers) end
    end
  elseif kind == "session" then
    local headers = { ["Authorization"] = "Bearer admin-pat" }
    if n == 0 then
      add("/v2/sessions/312909075212468632", headers)
    else
      -- ids above 2^53: built as text (LuaJIT numbers are doubles)
      for i = 0, n - 1 do add(string.format("/v2/sessions/4%017d", i), headers) end
    end
  else
    error("keys.lua: first argument must be challenge or session")
  end
end

function request()
  return requests[math.random(count)]
end
