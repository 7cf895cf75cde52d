-- ArgoCD health of a Palisade resource (NamespaceRingfence, PodSecurityBaseline,
-- KeyRotationSchedule), read from its status the way the Kubernetes API conventions define it.
local hs = { status = "Progressing", message = "Waiting for the operator to observe the current generation" }
local status = obj.status
if status == nil or status.observedGeneration == nil or obj.metadata.generation == nil
    or status.observedGeneration < obj.metadata.generation then
  return hs
end
local conditions = {}
for _, condition in ipairs(status.conditions or {}) do
  conditions[condition.type] = condition
end
local function holds(type)
  return conditions[type] ~= nil and conditions[type].status == "True"
end
local function say(state, condition)
  hs.status = state
  hs.message = condition.reason .. ": " .. (condition.message or "")
  return hs
end
if holds("Degraded") then return say("Degraded", conditions.Degraded) end
if holds("Ready") then return say("Healthy", conditions.Ready) end
-- Rolling out (a baseline waiting for violating pods) or rotating keys: under way, not broken.
if holds("Progressing") then return say("Progressing", conditions.Progressing) end
if holds("Rotating") then return say("Progressing", conditions.Rotating) end
-- Not ready, and nothing under way: a Conflict or an invalid spec that needs a person.
if conditions.Ready ~= nil then return say("Degraded", conditions.Ready) end
return hs
