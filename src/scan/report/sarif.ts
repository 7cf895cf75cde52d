// `palisade scan` as SARIF 2.1.0: the format code-scanning views (GitHub, GitLab, IDEs) import.
import type { Location as SarifLocation, Log, ReportingDescriptor, Result } from 'sarif';
import { refName } from '../types.ts';
import type { Finding, Rule, ScanResult } from '../types.ts';

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/palisade-dev/palisade';

export function sarifReport(result: ScanResult, tool: { version: string }): string {
  const ruleIndex = new Map(result.rules.map((rule, index) => [rule.id, index]));
  const log: Log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'palisade', informationUri: INFORMATION_URI, version: tool.version, rules: result.rules.map(descriptor) } },
        results: result.findings.map((finding) => sarifResult(finding, ruleIndex.get(finding.rule))),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function descriptor(rule: Rule): ReportingDescriptor {
  return {
    id: rule.id,
    name: rule.id.slice(rule.id.indexOf('/') + 1),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.help },
    help: { text: rule.help },
    helpUri: rule.helpUri,
    // Palisade's severities are named as SARIF's levels are.
    defaultConfiguration: { level: rule.severity },
    properties: { tags: rule.id.startsWith('pss/') ? ['security', 'pod-security'] : ['security'] },
  };
}

function sarifResult(finding: Finding, ruleIndex: number | undefined): Result {
  return {
    ruleId: finding.rule,
    ruleIndex,
    level: finding.severity,
    message: { text: finding.message },
    locations: [location(finding)],
    // An empty list says "not suppressed"; SARIF reads a missing one as "not known".
    suppressions: finding.suppressed === undefined ? [] : [{ kind: 'inSource', justification: finding.suppressed }],
  };
}

function location({ location: where, object }: Finding): SarifLocation {
  const logicalLocations = [{ fullyQualifiedName: refName(object), name: object.name, kind: 'resource' }];
  // A live object (document 0) is in no file: its logical location alone says where.
  if (where.document === 0) return { logicalLocations };
  return {
    physicalLocation: {
      artifactLocation: { uri: relativeUri(where.file) },
      // SARIF's region must name a line.
      region: where.line > 0 ? { startLine: where.line } : undefined,
    },
    logicalLocations,
  };
}

/** The path as given, as a relative URI reference: "/" between segments, each percent-encoded (a space, "#" or ":" would change what the URI means). */
function relativeUri(file: string): string {
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}
