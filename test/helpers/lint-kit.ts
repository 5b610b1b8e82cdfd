import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { lintManifests } from '../../src/k8s/lint.js';
import type { Finding, LintRule } from '../../src/k8s/lint-rule.js';
import {
  type LoadedManifest,
  loadManifest,
  renderManifest,
} from '../../src/k8s/manifest-loader.js';

/** Lints YAML texts (file name → text) with `rules`; returns the findings and the manifests. */
export function lintTexts(
  files: Readonly<Record<string, string>>,
  rules: readonly LintRule[],
  k8sVersion: readonly [number, number] = [1, 35],
): { findings: Finding[]; manifests: LoadedManifest[] } {
  const manifests = Object.entries(files).map(([file, text]) => loadManifest(file, text));
  const { findings } = lintManifests(manifests, {
    rules,
    disabled: new Set(),
    settings: { k8sVersion },
  });
  return { findings, manifests };
}

/** Applies every finding's fix and returns each file's new text. */
export function applyFixes(
  findings: readonly Finding[],
  manifests: readonly LoadedManifest[],
): Record<string, string> {
  for (const finding of findings) finding.fix?.apply();
  return Object.fromEntries(manifests.map((manifest) => [manifest.file, renderManifest(manifest)]));
}

/**
 * The recommended manifest of a lameduck service (`examples/k8s/passport.yaml`, the README's way
 * to deploy): every rule passes on it; tests break one thing at a time with `replace`.
 */
export const cleanLameduckManifest = readFileSync(
  new URL('../../examples/k8s/passport.yaml', import.meta.url),
  'utf8',
);

/**
 * {@link cleanLameduckManifest} with an app that takes 60 s to shut down in a 45 s grace period:
 * one `shutdown-budget` error, whose fix gives back {@link cleanLameduckManifest}.
 */
export const overBudgetManifest = cleanLameduckManifest.replace('value: "45"', 'value: "60"');

/** A new temporary directory, removed (with what the test left in it) when the test ends. */
export async function lintTempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lameduck-lint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** lameduck's httpGet preStop hook in {@link cleanLameduckManifest}, from its `httpGet:` key. */
const lameduckHook = /httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/;

/**
 * `yaml` (a variant of {@link cleanLameduckManifest}) with lameduck's preStop hook replaced by
 * `handler`: YAML whose first line takes the hook's key's place and whose next lines are indented
 * by 16 spaces (`sleep:\n                seconds: 10`).
 */
export function withPreStopHandler(yaml: string, handler: string): string {
  return yaml.replace(lameduckHook, handler);
}

/**
 * An autoscaler of kind `kind` for the Deployment `passport` of {@link cleanLameduckManifest};
 * `spec` is the rest of its spec, indented by two spaces (`  minReplicas: 2\n`).
 */
export function autoscalerManifest(spec: string, kind = 'HorizontalPodAutoscaler'): string {
  return (
    `apiVersion: autoscaling/v2\nkind: ${kind}\nmetadata:\n  name: passport\nspec:\n` +
    `  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: passport }\n${spec}`
  );
}

/** What {@link shopManifest} varies. */
export interface ShopManifestOptions {
  kind?: string;
  apiVersion?: string;
  /** Lines of the workload's spec before its template, indented by 2 spaces. */
  spec?: string;
  /** Lines of the container after its image, indented by 10 spaces. */
  container?: string;
  /** Whether a Service selects the pods. */
  service?: boolean;
}

/**
 * A minimal workload `shop` of another app (not lameduck): the fixture rules meet when the app
 * is not theirs to know. Line 1 is a comment; the container's name is on line
 * `7 + lines of spec`.
 */
export function shopManifest(options: ShopManifestOptions = {}): string {
  const {
    kind = 'Deployment',
    apiVersion = 'apps/v1',
    spec = '',
    container = '',
    service = false,
  } = options;
  const workload =
    `# shop, not a lameduck service\napiVersion: ${apiVersion}\nkind: ${kind}\n` +
    `metadata: { name: shop }\nspec:\n${spec}  template:\n` +
    '    metadata: { labels: { app: shop } }\n    spec:\n      containers:\n' +
    `        - name: shop\n          image: shop:1\n${container}`;
  const selecting =
    '---\napiVersion: v1\nkind: Service\nmetadata: { name: shop }\n' +
    'spec:\n  selector: { app: shop }\n';
  return service ? `${workload}${selecting}` : workload;
}
