// Offline validation's own rules, on a kind made for the purpose: defaulting, pruning, paths, list
// types, metadata, and which CEL rules run when. The CRDs' real rules are held against the API
// server in test/e2e/cli/render-parity.test.ts.
import { expect } from 'chai';
import type { KindDefinition } from '../../src/api/crd.ts';
import { Type, cel, stringMap, stringSet } from '../../src/api/schema.ts';
import { InvalidResource, validateResource, validateSpec } from '../../src/api/validate.ts';

const widget: KindDefinition = {
  kind: 'Widget',
  plural: 'widgets',
  shortNames: [],
  scope: 'Namespaced',
  description: 'A kind for these tests.',
  spec: Type.Object({
    size: Type.Optional(Type.Integer({ minimum: 1, default: 3 })),
    max: Type.Optional(Type.Integer()),
    nested: Type.Optional(Type.Object({ flag: Type.Optional(Type.Boolean({ default: true })) }, { default: {} })),
    labels: Type.Optional(stringMap(Type.String({ maxLength: 3 }))),
    tags: Type.Optional(stringSet(Type.String())),
  }, cel(
    { rule: '!has(self.max) || self.size <= self.max', message: 'size must not exceed max', fieldPath: '.size' },
    { rule: 'has(self.max) || self.size < 10', message: 'max is needed from size 10', fieldPath: '.max', reason: 'FieldValueRequired' },
    { rule: 'self.size == oldSelf.size', message: 'size cannot change' },
  )),
  status: Type.Object({ ready: Type.Boolean() }),
  printerColumns: [],
  conditions: [],
};

const object = (spec: unknown, metadata: Record<string, unknown> = { name: 'w', namespace: 'team' }) => ({ apiVersion: 'palisade.dev/v1alpha1', kind: 'Widget', metadata, spec });

/** The `field: message` lines validateResource refuses `input` with. */
function refusals(input: Record<string, unknown>): string[] {
  try {
    validateResource(widget, input);
  } catch (error) {
    if (error instanceof InvalidResource) return error.errors.map((fieldError) => fieldError.message);
    throw error;
  }
  throw new Error('accepted');
}

describe('validateResource', function () {
  it('returns the resource with nulls pruned, defaults filled in (nested ones too) and status left out', function () {
    const resource = validateResource(widget, { ...object({ size: null, max: 5 }), status: { ready: 'no' } });
    expect(resource).to.deep.equal(object({ size: 3, max: 5, nested: { flag: true } }));
  });

  it('evaluates the CEL rules with integers as CEL ints, at the path of their fieldPath', function () {
    expect(refusals(object({ size: 6, max: 5 }))).to.deep.equal(['spec.size: size must not exceed max']);
    expect(refusals(object({ size: 12 }))).to.deep.equal(['spec.max: Required value: max is needed from size 10']);
  });

  it('skips transition rules, which only an update runs', function () {
    expect(() => validateResource(widget, object({ size: 4 }))).not.to.throw();
  });

  it('reports every structural error, at the API server\'s paths, and no CEL rule until they are fixed', function () {
    expect(refusals(object({ size: 0, max: 0, labels: { 'app.kubernetes.io/name': 'long' }, nested: { flag: 'yes' }, colour: 'red' }))).to.deep.equal([
      'spec.colour: unknown field',
      'spec.size: must be >= 1',
      'spec.nested.flag: must be boolean',
      'spec.labels.app.kubernetes.io/name: must not have more than 3 characters',
    ]);
  });

  it('refuses an item twice in a set', function () {
    expect(refusals(object({ tags: ['a', 'b', 'a'] }))).to.deep.equal(['spec.tags[2]: Duplicate value: "a"']);
  });

  it('checks metadata as the API server does for any custom resource', function () {
    expect(refusals(object({}, { namespace: 'team' }))).to.deep.equal(['metadata.name: Required value: a name is required']);
    expect(refusals(object({}, { name: 'Widget.one' }))[0]).to.match(/^metadata.name: Invalid value: "Widget.one": must be a lowercase RFC 1123 subdomain/);
    expect(refusals(object({}, { name: 'w'.repeat(254) }))[0]).to.match(/^metadata.name: Invalid value/);
    expect(refusals(object({}, { name: 'w', namespace: 'Team' }))).to.deep.equal(['metadata.namespace: Invalid value: "Team": must be a lowercase RFC 1123 label']);
    expect(refusals(object({}, { name: 'w', labels: { 'a b': 'x', ok: 'y z', fine: true } }))).to.deep.equal([
      'metadata.labels: Invalid value: "a b": not a label key',
      'metadata.labels: Invalid value: "y z": not a label value',
      'metadata.labels: Invalid value: true: not a label value',
    ]);
  });

  it('accepts a name of a namespaced kind with dots, and labels that are valid', function () {
    expect(() => validateResource(widget, object({}, { name: 'w.one', labels: { 'example.com/team': 'a-b_c.d', empty: '' } }))).not.to.throw();
  });
});

describe('validateSpec', function () {
  it('checks and defaults a spec on its own, with paths under spec', function () {
    expect(validateSpec(widget, {})).to.deep.equal({ size: 3, nested: { flag: true } });
    expect(() => validateSpec(widget, { size: 20 })).to.throw(InvalidResource, 'spec.max: Required value: max is needed from size 10');
  });
});
