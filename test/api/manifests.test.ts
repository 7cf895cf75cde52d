// YAML read as kubectl reads it (go-yaml v2 through sigs.k8s.io/yaml). test/e2e/cli/render-parity.test.ts
// holds the same reading against the real kubectl; these pin down the rules themselves.
import { expect } from 'chai';
import { lineOf } from '../../src/api/manifest-lines.ts';
import { parseManifests, readManifests } from '../../src/api/manifests.ts';

const valueOf = (scalar: string) => (parseManifests(`v: ${scalar}\n`)[0] as { v: unknown }).v;

describe('parseManifests', function () {
  it('reads the YAML 1.1 booleans, in any field, as kubectl does', function () {
    for (const scalar of ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']) expect(valueOf(scalar), scalar).to.equal(true);
    for (const scalar of ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']) expect(valueOf(scalar), scalar).to.equal(false);
    for (const scalar of ['yES', 'oN', 'nO', '"yes"', "'on'", '!!str y']) expect(valueOf(scalar), scalar).to.be.a('string');
  });

  it('turns boolean and number keys into strings', function () {
    expect(parseManifests('yes: a\nno: b\n0x10: c\n1.5: d\n')).to.deep.equal([{ true: 'a', false: 'b', 16: 'c', '1.5': 'd' }]);
  });

  it('keeps timestamps and base-60 numbers as strings', function () {
    for (const scalar of ['2024-01-01', '2024-01-01T10:00:00Z', '1:20', '190:20:30.15']) expect(valueOf(scalar), scalar).to.equal(scalar);
  });

  it('reads numbers as go-yaml v2 does', function () {
    const numbers: [string, number][] = [
      ['0755', 493], ['0o17', 15], ['0O17', 15], ['0x1F', 31], ['0X1F', 31], ['-0x1f', -31], ['0b101', 5], ['0B101', 5], ['08', 8],
      ['1_000', 1000], ['0x_1F', 31], ['+12', 12], ['1e3', 1000], ['+.5', 0.5], ['.5_0', 0.5], ['1.', 1], ['-1.5e-3', -0.0015], ['1e3_', 1000],
    ];
    for (const [scalar, value] of numbers) expect(valueOf(scalar), scalar).to.equal(value);
    for (const scalar of ['e3', '.', '+.', '._5', '0x', '0b', '12abc', 'infinity']) expect(valueOf(scalar), scalar).to.equal(scalar);
  });

  it('prunes nothing itself: nulls are values, empty documents are left out', function () {
    expect(parseManifests('a: ~\nb: null\nc:\n---\n---\nd: 1\n')).to.deep.equal([{ a: null, b: null, c: null }, { d: 1 }]);
  });

  it('keeps the last value of a key given twice', function () {
    expect(parseManifests('a: 1\na: 2\n')).to.deep.equal([{ a: 2 }]);
  });

  it('refuses what kubectl cannot turn into JSON: .inf, .nan, a null or collection key', function () {
    expect(() => parseManifests('a:\n  b: [.inf]\n')).to.throw('a.b[0]: Infinity cannot be JSON');
    expect(() => parseManifests('a: .NaN\n')).to.throw('a: NaN cannot be JSON');
    expect(() => parseManifests('~: a\n')).to.throw('a map key must be a string, number or boolean');
    expect(() => parseManifests('? [a, b]\n: c\n')).to.throw('a map key must be a string, number or boolean');
  });

  it('says where the YAML is broken: the document, and the line in the whole stream', function () {
    expect(() => parseManifests('a: [\n')).to.throw(/^document 1 \(line 2\): not YAML: .* at line 2, column 1/);
    expect(() => parseManifests('a: 1\n---\nb: 2\n---\nc: [\n')).to.throw(/^document 3 \(line 6\): not YAML: .* at line 6/);
    expect(() => parseManifests('a: 1\n---\nb: [.inf]\n')).to.throw('document 2 (line 3): b[0]: Infinity cannot be JSON');
  });

  it('cuts the stream where kubectl cuts it: at lines starting with ---, and reads the first document of each', function () {
    expect(parseManifests('a: 1\n--- # the next one\nb: 2\n---\n---\nc: 3\n')).to.deep.equal([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(parseManifests('a: 1\n...\nb: 2\n'), 'go-yaml reads only the first document of a chunk').to.deep.equal([{ a: 1 }]);
    expect(() => parseManifests('--- {a: 1}\n')).to.throw('line 1: not YAML for kubectl: a document separator with content after it');
  });

  it('refuses an alias bomb as go-yaml does, and a merge key whose place kubectl reads otherwise', function () {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 9; level++) levels.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10).fill(`*${String.fromCharCode(96 + level)}`).join(', ')}]`);
    expect(() => parseManifests(`${levels.join('\n')}\n`)).to.throw('document 1 (line 1): not YAML for kubectl: the document contains excessive aliasing');
    expect(parseManifests('d: &d {a: 1, b: 2}\ne:\n  <<: *d\n  b: 3\n')).to.deep.equal([{ d: { a: 1, b: 2 }, e: { a: 1, b: 3 } }]);
    expect(() => parseManifests('d: &d {privileged: true}\ne: {privileged: false, <<: *d}\n')).to.throw('document 1 (line 2): a merge key (<<) after other keys of its map');
  });

  it('keeps where each field is: the line of a key, a list item, or the deepest part of a path that is written', function () {
    const text = 'a: 1\n---\nkind: Pod\nspec:\n  "quoted key":\n    - name: x\n    - {name: y, image: z}\nitems: [p, q]\n';
    const [, pod] = readManifests(text);
    expect(pod).to.include({ index: 2, line: 3 });
    const at = (path: (string | number)[]) => lineOf(pod!.shape, path);
    expect([at([]), at(['spec']), at(['spec', 'quoted key']), at(['spec', 'quoted key', 1]), at(['spec', 'quoted key', 1, 'image'])]).to.deep.equal([3, 4, 5, 7, 7]);
    expect([at(['spec', 'quoted key', 0, 'missing']), at(['items', 1]), at(['nowhere', 'at all'])]).to.deep.equal([6, 8, 3]);
  });
});
