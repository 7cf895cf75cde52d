-- Health of the kinds of palisade.dev (NamespaceRingfence, ClusterRingfence, PodSecurityBaseline,
-- KeyRotationSchedule).
-- Each reports status.observedGeneration and a Ready condition in the Kubernetes API conventions,
-- with the reasons its controller sets:
-- https://github.com/palisade-dev/palisade/tree/main/src/controllers/namespaceringfence
-- https://github.com/palisade-dev/palisade/tree/main/src/controllers/clusterringfence
-- https://github.com/palisade-dev/palisade/tree/main/src/controllers/podsecuritybaseline
-- https://github.com/palisade-dev/palisade/tree/main/src/controllers/keyrotationschedule
-- It is installed through argocd-cm, where ArgoCD opens neither the string nor the math library
-- and strings have no methods, so it only reads fields and compares them.

-- The Ready=False reasons that mean the work is under way, by kind. Any other Ready=False reason
-- (a Conflict, an InvalidSpec, a failed apply, labelling or rotation step) needs a person.
local underWay = {
  PodSecurityBaseline = { EnforcementPending = true }, -- AuditFirst: waits for violating pods to go
  KeyRotationSchedule = { Rotating = true },           -- a rotation moving through its gates
}

local function health(status, message)
  return { status = status, message = message }
end

local status = obj.status or {}
if status.observedGeneration == nil or status.observedGeneration < obj.metadata.generation then
  return health("Progressing", "Waiting for the operator to observe the current generation")
end
local ready
for _, condition in ipairs(status.conditions or {}) do
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready == nil then
  return health("Progressing", "Waiting for the Ready condition")
end
-- Ready's message alone says what is the case: its reason is a condition's key, not prose (and
-- the message may already name it).
if ready.status == "True" then
  return health("Healthy", ready.message)
end
if ready.status == "False" and not (underWay[obj.kind] or {})[ready.reason] then
  return health("Degraded", ready.message)
end
-- Ready=Unknown, or False for a reason that is under way.
return health("Progressing", ready.message)
