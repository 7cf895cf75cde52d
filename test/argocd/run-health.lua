-- Runs a resource health check the way ArgoCD runs one from argocd-cm, under lua5.1: ArgoCD's VM
-- is gopher-lua, a Lua 5.1. argo-cd's util/lua/lua.go (runLua) starts it with SkipOpenLibs and
-- opens only package, base and table; its "safe os" opener registers under "table", which is
-- already loaded, so the safe os (time, date) is reachable only through require("os"). string,
-- math, io, os, debug and coroutine are nil, and strings have no methods: gopher-lua gives them
-- the string library as metatable only when it opens that library.
--
-- Usage: lua5.1 run-health.lua health.lua < object, the object as a Lua table constructor.
-- Writes the returned health as ArgoCD decodes it: {"status": "...", "message": "..."}.
local format, gsub, byte = string.format, string.gsub, string.byte
local read, write, stderr, exit = io.read, io.write, io.stderr, os.exit
local safeOs = { time = os.time, date = os.date }

local check = assert(loadfile(arg[1]))
local object = assert(loadstring("return " .. read("*a"), "object"))()

local function keep(t, names)
  local allowed = {}
  for _, name in ipairs(names) do
    allowed[name] = true
  end
  for name in pairs(t) do
    if not allowed[name] then
      t[name] = nil
    end
  end
end

-- gopher-lua's base library, and the globals its package and table libraries add.
keep(_G, {
  "_G", "_VERSION", "assert", "collectgarbage", "dofile", "error", "getfenv", "getmetatable", "ipairs",
  "load", "loadfile", "loadstring", "module", "newproxy", "next", "pairs", "pcall", "print", "rawequal",
  "rawget", "rawset", "require", "select", "setfenv", "setmetatable", "tonumber", "tostring", "type",
  "unpack", "xpcall", "package", "table",
})
keep(table, { "concat", "getn", "insert", "maxn", "remove", "sort" })
keep(package.loaded, { "_G", "package", "table" })
package.preload.os = function() return safeOs end
package.path, package.cpath = "", ""
getmetatable("").__index = nil
obj = object

local ok, health = pcall(check)
if not ok then
  stderr:write(tostring(health), "\n")
  exit(1)
end
if type(health) ~= "table" then
  stderr:write("expect table output from Lua script, not ", type(health), "\n")
  exit(1)
end

-- ArgoCD decodes status and message as JSON strings, and answers a status it does not know with Unknown.
local known = { Healthy = true, Progressing = true, Degraded = true, Suspended = true, Missing = true, Unknown = true }
local function text(value)
  if value == nil then
    return '""'
  end
  if type(value) ~= "string" then
    stderr:write("status and message must be strings, not ", type(value), "\n")
    exit(1)
  end
  return '"' .. (gsub(value, '[%c"\\]', function(c) return format("\\u%04x", byte(c)) end)) .. '"'
end
local status, message = text(health.status), text(health.message)
if known[health.status] then
  write('{"status": ', status, ', "message": ', message, '}')
else
  write('{"status": "Unknown", "message": "Lua returned an invalid health status"}')
end
