// The demo's KeyRotationSchedule: examples/keyrotationschedule.yaml with File delivery to the local
// control plane's own config (the operator runs beside it), printed as JSON for kubectl apply -f -.
// The example itself keeps HostPathJob, as a real cluster needs.
import { readFileSync } from 'node:fs';
import { parseManifests } from '../../src/api/manifests.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: node hack/demo/keyrotationschedule.ts ENCRYPTION_CONFIG');
const [example] = parseManifests(readFileSync(new URL('../../examples/keyrotationschedule.yaml', import.meta.url), 'utf8')) as [{ spec: Record<string, unknown> }];
console.log(JSON.stringify({ ...example, spec: { ...example.spec, delivery: { type: 'File', path } } }));
