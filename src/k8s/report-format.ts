/** Turns a lint report into text for a terminal, or JSON for tools. Pure. */

import type { LintReport } from './lint.js';
import type { Finding } from './lint-rule.js';

/** `file:line:column  severity  rule  object: message`, one finding per line, then a count. */
export function formatText(report: LintReport): string {
  const lines = report.findings.map(
    (finding) =>
      `${finding.location.file}:${finding.location.line}:${finding.location.column}  ` +
      `${finding.severity}  ${finding.ruleId}  ${finding.object}: ${finding.message}` +
      (finding.fix === undefined ? '' : `  (--fix: ${finding.fix.description})`),
  );
  const counts = countBySeverity(report.findings);
  lines.push(
    `${report.workloadCount} workload(s) checked: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} note(s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The report as JSON: `{ workloadCount, findings: [...] }`, fixes named but not included. */
export function formatJson(report: LintReport): string {
  return `${JSON.stringify(
    {
      workloadCount: report.workloadCount,
      findings: report.findings.map(({ fix, ...finding }) => ({
        ...finding,
        ...(fix === undefined ? {} : { fix: fix.description }),
      })),
    },
    null,
    2,
  )}\n`;
}

/** How many findings there are of each severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Finding['severity'], number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}
