// Services that open a workload on every node's address, or to a cloud load balancer.
import { PALISADE_RULES as R } from '../rules.ts';
import type { Check } from './check.ts';

const EXPOSING = ['NodePort', 'LoadBalancer'];

export const exposedServices: Check = (subject) => {
  if (subject.value.apiVersion !== 'v1' || subject.value.kind !== 'Service') return undefined;
  const type = (subject.value.spec as { type?: unknown } | undefined)?.type;
  const exposed = typeof type === 'string' && EXPOSING.includes(type);
  return {
    rules: [R.exposedService],
    issues: exposed ? [{ rule: R.exposedService, message: `Service of type ${type} opens its pods on every node${type === 'LoadBalancer' ? ' and to a load balancer' : ''}`, path: ['spec', 'type'] }] : [],
  };
};
