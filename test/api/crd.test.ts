// Offline checks of the generated CRDs: the rules for structural schemas that would otherwise
// surface only when the API server refuses a CRD, and printer columns that point at real fields.
import { expect } from 'chai';
import { customResourceDefinitions } from '../../src/api/index.ts';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

// Keywords a structural schema may not use (apiextensions.k8s.io/v1 rejects them or their combination).
const FORBIDDEN = ['$ref', 'patternProperties', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'additionalItems', 'definitions', 'dependencies', '$id'];

function* nodes(schema: Schema, path: string): Generator<[string, Schema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  const additional = schema.additionalProperties;
  if (typeof additional === 'object' && additional !== null) yield* nodes(additional as Schema, `${path}{}`);
}

function resolve(schema: Schema, jsonPath: string): Schema | undefined {
  const fields = jsonPath.replace(/\[\?\(@\.type=="[A-Za-z]+"\)\]/g, '[]').split('.').slice(1);
  let node: Schema | undefined = schema;
  for (const field of fields) {
    const name = field.replace(/\[\]$/, '');
    node = node?.properties?.[name];
    if (field.endsWith('[]')) node = node?.items;
  }
  return node;
}

for (const crd of customResourceDefinitions()) {
  describe(`CRD ${crd.metadata.name}`, function () {
    const version = crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema as Schema;

    it('gives every schema node a type and uses no non-structural keyword', function () {
      for (const [path, node] of nodes(root, '')) {
        expect(node.type, `type of ${path || '<root>'}`).to.be.a('string');
        for (const keyword of FORBIDDEN) expect(node, `${path}`).not.to.have.property(keyword);
      }
    });

    it('has a description on the spec fields users write', function () {
      const undocumented = Object.entries(root.properties?.spec?.properties ?? {})
        .filter(([, node]) => typeof node.description !== 'string')
        .map(([name]) => name);
      expect(undocumented).to.deep.equal([]);
    });

    it('points every printer column at a field of the schema', function () {
      for (const column of version.additionalPrinterColumns) {
        if (column.jsonPath.startsWith('.metadata.')) continue;
        const field = resolve(root, column.jsonPath);
        expect(field, `${column.name}: ${column.jsonPath}`).not.to.equal(undefined);
        const type = column.type === 'date' ? 'string' : column.type;
        expect(field?.type, `${column.name}: ${column.jsonPath}`).to.equal(type);
      }
    });

    it('is in the palisade category with a status subresource', function () {
      expect(crd.spec.names.categories).to.deep.equal(['palisade']);
      expect(version.subresources).to.deep.equal({ status: {} });
    });
  });
}
