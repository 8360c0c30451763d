-- wrk script: the peer harness's workloads W1..W7 (its tools/scim.lua, loaded unchanged) plus the
-- protocol-depth workloads of issue 3. Same arguments as scim.lua:
--   wrk ... -s scim-ext.lua URL -- WORKLOAD DATADIR TOKEN BASEPATH RUNID [PAGEMAX]
-- SCIM_BASE_LUA (environment) is the path of the harness's scim.lua.
--
-- F1  GET /Users?filter=... rotating over eq / sw / co / or / and / not / value-path filters
-- P1  PATCH /Users/{id}, Entra shapes: "True"/"False" strings, path-less Replace with dotted keys,
--     value-path Replace, capitalized ops
-- P2  PATCH /Groups/{id}: Add a member, then Remove it, half by members[value eq "..."] and half by
--     path "members" + value list (Entra's shape)
-- B1  POST /Bulk with 1,000 POST /Users operations (unique userNames, bulkIds)
--
-- done() prints the harness's RESULT line and, with SCIM_QUANTILES=1, a QUANTILES line (latency
-- percentiles in µs) that merge-wrk.mjs combines when several wrk processes share one measurement.

local base = os.getenv("SCIM_BASE_LUA")
assert(base, "set SCIM_BASE_LUA to the harness's tools/scim.lua")
dofile(base)

local base_setup, base_init, base_request, base_done = setup, init, request, done

local my_threads = {}
function setup(thread)
   base_setup(thread)
   table.insert(my_threads, thread)
end

-- SCIM_ERRORS=1: count answers by status and keep the first error bodies, printed by done() as
-- ERRORS lines (which shapes a server refuses under load, not only in the probe).
if os.getenv("SCIM_ERRORS") == "1" then
   statuses, err_samples, n_samples = {}, "", 0
   function response(status, headers, body)
      statuses[status] = (statuses[status] or 0) + 1
      if status >= 400 and n_samples < 3 then
         n_samples = n_samples + 1
         err_samples = err_samples .. status .. " " .. body:sub(1, 240):gsub("[\r\n]", " ") .. "\n"
      end
   end
end

local workload, token, basepath, runid
local ids, names, gids = {}, {}, {}
local nusers, ngroups, pool_a = 0, 0, 0
local prefix = ""
local counter = 0
local hdr_get, hdr_body

local function load(file, dst1, dst2)
   local n = 0
   for line in io.lines(file) do
      local a, b = line:match("^([^\t]+)\t?(.*)$")
      if a then
         n = n + 1
         dst1[n] = a
         if dst2 then dst2[n] = b end
      end
   end
   return n
end

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local mine = { F1 = true, P1 = true, P2 = true, B1 = true }

function init(args)
   base_init(args)
   workload, token, basepath, runid = args[1], args[3], args[4], args[5]
   if not mine[workload] then return end
   basepath = basepath:gsub("/$", "")
   nusers = load(args[2] .. "/users.tsv", ids, names)
   ngroups = load(args[2] .. "/groups.tsv", gids, nil)
   pool_a = math.max(1, math.floor(nusers / 2))
   -- preload.mjs names user i "<prefix>.u<i>@bench.example"
   prefix = names[1]:match("^(.*)%.u%d+@bench%.example$") or ""
   math.randomseed(os.time() + (tid or 0) * 7919 + #runid)
   hdr_get = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/scim+json" }
   hdr_body = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/scim+json",
                ["Content-Type"] = "application/scim+json" }
end

-- A random preloaded user index (as numbered by preload.mjs: 0-based).
local function ui() return math.random(nusers) - 1 end
local function uname(i) return prefix .. ".u" .. i .. "@bench.example" end

local filters = {
   function() return 'userName eq "' .. uname(ui()) .. '"' end,
   -- 11 matches (u123, u1230..u1239) at 10,000 users
   function() return 'userName sw "' .. prefix .. '.u' .. (99 + math.random(900)) .. '"' end,
   function() return 'userName co "u' .. ui() .. '@"' end,
   function() return 'userName eq "' .. uname(ui()) .. '" or userName eq "' .. uname(ui()) .. '"' end,
   function() return 'emails[type eq "work" and value co "u' .. ui() .. '@"]' end,
   function() return 'externalId eq "' .. prefix .. '-ext-' .. ui() .. '" and active eq true' end,
   function() return 'not (active eq false) and userName sw "' .. prefix .. '.u' .. (99 + math.random(900)) .. '"' end,
   function() return 'displayName eq "Bench User ' .. ui() .. '"' end,
   function() return 'name.familyName eq "User' .. ui() .. '" and title eq "Engineer"' end,
   function() return 'emails.value eq "' .. uname(ui()) .. '"' end,
}

local function filter_mix()
   local f = filters[math.random(#filters)]()
   return wrk.format("GET", basepath .. "/Users?count=100&filter=" .. urlencode(f), hdr_get)
end

local PATCH = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['

local function user_patch_mix()
   counter = counter + 1
   local n = (tid or 0) .. "-" .. counter
   local r = math.random(4)
   local ops
   if r == 1 then
      ops = '{"op":"Replace","path":"active","value":"' .. ((math.random(2) == 1) and "True" or "False") .. '"}'
   elseif r == 2 then
      ops = '{"op":"Replace","value":{"displayName":"Entra ' .. n .. '","name.givenName":"Given ' .. n ..
         '","title":"Title ' .. n .. '"}}'
   elseif r == 3 then
      ops = '{"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"w-' .. n .. '@bench.example"},' ..
         '{"op":"Replace","path":"name.familyName","value":"Family ' .. n .. '"}'
   else
      ops = '{"op":"Add","path":"phoneNumbers[type eq \\"work\\"].value","value":"+1 555 ' .. counter % 10000 .. '"},' ..
         '{"op":"Replace","path":"active","value":"True"}'
   end
   return wrk.format("PATCH", basepath .. "/Users/" .. ids[math.random(nusers)], hdr_body, PATCH .. ops .. ']}')
end

-- Pool B users (second half) are in no group, so an Add followed by a Remove of the same member
-- leaves every group at its preloaded size whatever the interleaving.
local function group_patch_mix()
   local u = ids[pool_a + math.random(math.max(1, nusers - pool_a))]
   local remove
   if math.random(2) == 1 then
      remove = '{"op":"Remove","path":"members[value eq \\"' .. u .. '\\"]"}'
   else
      remove = '{"op":"Remove","path":"members","value":[{"value":"' .. u .. '"}]}'
   end
   local body = PATCH .. '{"op":"Add","path":"members","value":[{"value":"' .. u .. '"}]},' .. remove .. ']}'
   return wrk.format("PATCH", basepath .. "/Groups/" .. gids[math.random(ngroups)], hdr_body, body)
end

local function bulk_1000()
   counter = counter + 1
   local parts = {}
   for k = 1, 1000 do
      local un = string.format("b1-%s-t%d-%d-%d@bench.example", runid, tid or 0, counter, k)
      parts[k] = '{"method":"POST","path":"/Users","bulkId":"b' .. k .. '","data":{' ..
         '"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. un ..
         '","externalId":"' .. un .. '","active":true,"displayName":"Bulk User ' .. k ..
         '","name":{"givenName":"Bulk","familyName":"User' .. k .. '"},' ..
         '"emails":[{"value":"' .. un .. '","type":"work","primary":true}]}}'
   end
   local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[' ..
      table.concat(parts, ",") .. ']}'
   return wrk.format("POST", basepath .. "/Bulk", hdr_body, body)
end

local dispatch = { F1 = filter_mix, P1 = user_patch_mix, P2 = group_patch_mix, B1 = bulk_1000 }

function request()
   local f = dispatch[workload]
   if f then return f() end
   return base_request()
end

function done(summary, latency, requests)
   base_done(summary, latency, requests)
   if os.getenv("SCIM_ERRORS") == "1" then
      for _, t in ipairs(my_threads) do
         local st, parts = t:get("statuses"), {}
         for code, n in pairs(st or {}) do parts[#parts + 1] = code .. ":" .. n end
         io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
         for line in (t:get("err_samples") or ""):gmatch("[^\n]+") do io.write("ERROR " .. line .. "\n") end
      end
   end
   if os.getenv("SCIM_QUANTILES") ~= "1" then return end
   -- percentile() walks the histogram up to the rank, so keep the grid short
   local ps, q = {}, {}
   for p = 1, 89 do ps[#ps + 1] = p end
   for p = 900, 999 do ps[#ps + 1] = p / 10 end
   ps[#ps + 1] = 99.95
   ps[#ps + 1] = 99.99
   for i, p in ipairs(ps) do q[i] = string.format("[%g,%d]", p, latency:percentile(p)) end
   io.write('QUANTILES {"requests":' .. summary.requests .. ',"min":' .. latency.min .. ',"max":' ..
      latency.max .. ',"q":[' .. table.concat(q, ",") .. ']}\n')
end
