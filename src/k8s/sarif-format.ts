/**
 * The lint report as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, Azure DevOps)
 * read. Pure.
 */
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { LintReport } from './lint.js';
import { manifestInvalidRuleId } from './lint.js';
import type { LintRule, Severity } from './lint-rule.js';

const sarifLevels: Record<Severity, Result.level> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** The report as a SARIF 2.1.0 log, one run by `lameduck` `version`. */
export function formatSarif(
  report: LintReport,
  rules: readonly LintRule[],
  version: string,
): string {
  const descriptors: ReportingDescriptor[] = [
    {
      id: manifestInvalidRuleId,
      shortDescription: { text: 'the file is not valid YAML or not a Kubernetes object' },
      defaultConfiguration: { level: 'error' },
    },
    ...rules.map((rule) => ({
      id: rule.id,
      shortDescription: { text: rule.summary },
      defaultConfiguration: { level: sarifLevels[rule.severity] },
    })),
  ];
  const ruleIndexes = new Map(descriptors.map((descriptor, index) => [descriptor.id, index]));
  const log: Log = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'lameduck',
            version,
            informationUri: 'https://github.com/lameduck/lameduck',
            rules: descriptors,
          },
        },
        results: report.findings.map((finding) => ({
          ruleId: finding.ruleId,
          ruleIndex: ruleIndexes.get(finding.ruleId) ?? -1,
          level: sarifLevels[finding.severity],
          message: { text: `${finding.object}: ${finding.message}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(finding.location.file) },
                region: { startLine: finding.location.line, startColumn: finding.location.column },
              },
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** A relative file path as a URI reference; standard input has none of its own. */
function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  return file.split('/').map(encodeURIComponent).join('/');
}
