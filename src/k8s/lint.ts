/**
 * Runs the rules over every workload of a set of manifests, matching Services and PDBs to
 * workloads across files. Pure: the CLI reads the files and prints the report.
 */

import { indexEnvSources } from './env-sources.js';
import { selectorMatches } from './label-selector.js';
import type { Finding, LintRule, LintSettings, WorkloadContext } from './lint-rule.js';
import type { LoadedManifest, ManifestObject } from './manifest-loader.js';
import { readAutoscaler, readPdb, readService, readWorkload } from './workload.js';

/** The annotation that silences rules for one object: `lameduck.io/ignore: "rule-a,rule-b"`. */
export const ignoreAnnotation = 'lameduck.io/ignore';

/** The rule id under which unreadable files and non-Kubernetes documents are reported. */
export const manifestInvalidRuleId = 'manifest-invalid';

/** What {@link lintManifests} found. */
export interface LintReport {
  /** Every finding, by file, then line. */
  findings: Finding[];
  /** How many workloads were checked. */
  workloadCount: number;
}

/** Options of {@link lintManifests}. */
export interface LintOptions {
  rules: readonly LintRule[];
  /** Rule ids not to run. */
  disabled: ReadonlySet<string>;
  settings: LintSettings;
}

/** Lints `manifests` together: a Service in one file selects the pods of a Deployment in another. */
export function lintManifests(
  manifests: readonly LoadedManifest[],
  options: LintOptions,
): LintReport {
  const findings: Finding[] = manifests.flatMap((manifest) =>
    manifest.problems.map((problem) => ({
      ruleId: manifestInvalidRuleId,
      severity: 'error' as const,
      object: manifest.file,
      message: problem.message,
      location: problem.location,
    })),
  );
  const objects = manifests.flatMap((manifest) => manifest.objects);
  const services = objects.flatMap((object) => readService(object) ?? []);
  const pdbs = objects.flatMap((object) => readPdb(object) ?? []);
  const autoscalers = objects.flatMap((object) => readAutoscaler(object) ?? []);
  const envSources = indexEnvSources(objects);
  for (const { object, key } of envSources.invalidKeys) {
    findings.push({
      ruleId: manifestInvalidRuleId,
      severity: 'error',
      object: `${object.kind}/${object.name}`,
      message:
        `data.${key} is not base64: the API server rejects the Secret (plain text goes in ` +
        'stringData)',
      location: object.locate(['data', key]),
    });
  }
  const rules = options.rules.filter((rule) => !options.disabled.has(rule.id));
  let workloadCount = 0;
  for (const object of objects) {
    const workload = readWorkload(object, envSources.lookupIn(object.namespace));
    if (workload === undefined) continue;
    workloadCount += 1;
    const sameNamespace = (other: ManifestObject) => other.namespace === object.namespace;
    const context: WorkloadContext = {
      workload,
      services: services.filter(
        (service) =>
          sameNamespace(service.object) && selectorMatches(service.selector, workload.podLabels),
      ),
      pdbs: pdbs.filter(
        (pdb) => sameNamespace(pdb.object) && selectorMatches(pdb.selector, workload.podLabels),
      ),
      autoscaler: autoscalers.find(
        (autoscaler) =>
          sameNamespace(autoscaler.object) &&
          autoscaler.targetKind === object.kind &&
          autoscaler.targetName === object.name,
      ),
      settings: options.settings,
    };
    const ignored = ignoredRules(workload.annotations, workload.podAnnotations);
    for (const rule of rules) {
      if (ignored.has(rule.id)) continue;
      for (const finding of rule.check(context)) {
        findings.push({
          ruleId: rule.id,
          severity: finding.severity ?? rule.severity,
          object: `${object.kind}/${object.name}`,
          message: finding.message,
          location: finding.at ?? object.locate(finding.path),
          ...(finding.fix === undefined ? {} : { fix: { ...finding.fix, file: object.file } }),
        });
      }
    }
  }
  findings.sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.ruleId.localeCompare(b.ruleId),
  );
  return { findings, workloadCount };
}

function ignoredRules(
  ...annotationSets: ReadonlyArray<Readonly<Record<string, string>>>
): Set<string> {
  return new Set(
    annotationSets.flatMap((annotations) =>
      (annotations[ignoreAnnotation] ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id.length > 0),
    ),
  );
}
