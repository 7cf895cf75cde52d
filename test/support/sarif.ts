// SARIF 2.1.0 as its schema defines it, for tests of what palisade scan writes.
//
// sarif-schema-2.1.0.json beside this file is the normative schema of SARIF 2.1.0 with Approved Errata 01,
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json, as the OASIS
// TC keeps it in https://github.com/oasis-tcs/sarif-spec/blob/e0583813964ec43cea53b6b531b402866095ed1f/sarif-2.1/schema/sarif-schema-2.1.0.json.
// It is written in JSON Schema draft-04, hence Ajv's draft-04 build.
import { readFileSync } from 'node:fs';
import draft04 from 'ajv-draft-04';
import formats from 'ajv-formats';

// Both are CommonJS modules with their export on `.default`: Node's default import is the whole module.exports.
const { default: Ajv } = draft04;
const { default: addFormats } = formats;

const schema = JSON.parse(readFileSync(new URL('./sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/** What the schema refuses in `log`, or undefined when it is valid SARIF 2.1.0. */
export function sarifErrors(log: unknown): string | undefined {
  return validate(log) ? undefined : ajv.errorsText(validate.errors);
}
