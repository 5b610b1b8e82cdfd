import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { text as readStream } from 'node:stream/consumers';
import { Command, InvalidArgumentError, Option } from 'commander';
import { lintManifests } from '../k8s/lint.js';
import { type LoadedManifest, loadManifest } from '../k8s/manifest-loader.js';
import { countBySeverity, formatJson, formatText } from '../k8s/report-format.js';
import { lintRules } from '../k8s/rules/index.js';

/** The Kubernetes version assumed when `--k8s-version` is not given: the newest we know. */
export const defaultK8sVersion = '1.35';

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

function parseK8sVersion(value: string): readonly [number, number] {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('must look like 1.30');
  return [Number(match[1]), Number(match[2])];
}

function collectRuleIds(value: string, previous: string[]): string[] {
  const known = new Set(lintRules.map((rule) => rule.id));
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  for (const id of ids) {
    if (!known.has(id)) {
      throw new InvalidArgumentError(`unknown rule '${id}'; rules: ${[...known].join(', ')}`);
    }
  }
  return [...previous, ...ids];
}

/** Reads `target` (a file, a directory searched for .yaml/.yml/.json, or `-`). */
async function readTargets(target: string): Promise<Array<{ file: string; text: string }>> {
  if (target === '-') return [{ file: '-', text: await readStream(process.stdin) }];
  const info = await stat(target);
  if (!info.isDirectory()) return [{ file: target, text: await readFile(target, 'utf8') }];
  const entries = await readdir(target, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && manifestExtensions.has(path.extname(entry.name)))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
}

/**
 * `lameduck lint`: checks Kubernetes manifests for the mistakes that drop requests at shutdown.
 * Exit code 1 when there is an error finding (or a file cannot be read), 0 otherwise.
 */
export function createLintCommand(): Command {
  return new Command('lint')
    .description('check Kubernetes manifests for the mistakes that drop requests at shutdown')
    .argument('[paths...]', 'manifest files or directories; - for standard input', ['-'])
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .option(
      '--k8s-version <version>',
      'the Kubernetes version the manifests target',
      parseK8sVersion,
      parseK8sVersion(defaultK8sVersion),
    )
    .option(
      '--disable <rules>',
      'rule ids not to check (comma-separated, repeatable)',
      collectRuleIds,
      [],
    )
    .action(
      async (
        paths: string[],
        options: {
          format: 'text' | 'json';
          k8sVersion: readonly [number, number];
          disable: string[];
        },
      ) => {
        const manifests: LoadedManifest[] = [];
        let unreadable = false;
        for (const target of paths) {
          try {
            for (const { file, text } of await readTargets(target))
              manifests.push(loadManifest(file, text));
          } catch (error) {
            process.stderr.write(
              `lameduck lint: cannot read ${target}: ${error instanceof Error ? error.message : String(error)}\n`,
            );
            unreadable = true;
          }
        }
        const report = lintManifests(manifests, {
          rules: lintRules,
          disabled: new Set(options.disable),
          settings: { k8sVersion: options.k8sVersion },
        });
        process.stdout.write(options.format === 'json' ? formatJson(report) : formatText(report));
        if (unreadable || countBySeverity(report.findings).error > 0) process.exitCode = 1;
      },
    );
}
