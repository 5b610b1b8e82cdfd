import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer as readStream } from 'node:stream/consumers';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import { type LintReport, lintManifests } from '../k8s/lint.js';
import {
  type DecodedManifest,
  decodeManifest,
  encodeManifest,
  type ManifestEncoding,
} from '../k8s/manifest-encoding.js';
import { type LoadedManifest, loadManifest } from '../k8s/manifest-loader.js';
import { renderFixedManifest } from '../k8s/render-fixed-manifest.js';
import { countBySeverity, formatJson, formatText } from '../k8s/report-format.js';
import { lintRules } from '../k8s/rules/index.js';
import { formatSarif } from '../k8s/sarif-format.js';

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
async function readTargets(target: string): Promise<Array<{ file: string } & DecodedManifest>> {
  if (target === '-') return [{ file: '-', ...decodeManifest(await readStream(process.stdin)) }];
  const info = await stat(target);
  if (!info.isDirectory()) return [{ file: target, ...decodeManifest(await readFile(target)) }];
  const entries = await readdir(target, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && manifestExtensions.has(path.extname(entry.name)))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(
    files.map(async (file) => ({ file, ...decodeManifest(await readFile(file)) })),
  );
}

type OutputFormat = 'text' | 'json' | 'sarif';

interface LintCommandOptions {
  format: OutputFormat;
  k8sVersion: readonly [number, number];
  disable: string[];
  fix: boolean;
  dryRun: boolean;
}

/**
 * `lameduck lint`: checks Kubernetes manifests for the mistakes that drop requests at shutdown.
 * With `--fix`, applies the safe fixes (in place, or to standard output with `--dry-run` or for
 * standard input) and reports what is left. Exit code 1 when an error finding remains or a file
 * cannot be read, 0 otherwise.
 */
export function createLintCommand(version: string): Command {
  return new Command('lint')
    .description('check Kubernetes manifests for the mistakes that drop requests at shutdown')
    .argument('[paths...]', 'manifest files or directories; - for standard input', ['-'])
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'sarif'])
        .default('text'),
    )
    .addOption(
      new Option('--k8s-version <version>', 'the Kubernetes version the manifests target')
        .argParser(parseK8sVersion)
        .default(parseK8sVersion(defaultK8sVersion), defaultK8sVersion),
    )
    .option(
      '--disable <rules>',
      'rule ids not to check (comma-separated, repeatable)',
      collectRuleIds,
      [],
    )
    .option('--fix', 'apply the safe fixes to the files, keeping comments', false)
    .option('--dry-run', 'with --fix: print the fixed manifests instead of writing them', false)
    .addHelpText('after', rulesHelp)
    .action(async (paths: string[], options: LintCommandOptions, command: Command) => {
      // With no paths, `-` is implied: refuse to wait on a terminal for YAML nobody is typing.
      if (command.args.length === 0 && process.stdin.isTTY) {
        command.error(
          'lameduck lint: no manifests given: name files or directories, or pipe them in with -',
        );
      }
      const { manifests, encodings, unreadable } = await readManifests(paths);
      const lint = () =>
        lintManifests(manifests, {
          rules: lintRules,
          disabled: new Set(options.disable),
          settings: { k8sVersion: options.k8sVersion },
        });
      let report = lint();
      // With --dry-run the files stay as they are: the exit code speaks of them (standard input
      // has no file: its fixed text is the result, and what is left of it decides).
      const onDisk = manifests.some((manifest) => manifest.file !== '-');
      const gate = options.dryRun && onDisk ? report : undefined;
      let reportStream: NodeJS.WritableStream = process.stdout;
      let unfixed = false;
      if (options.fix) {
        const { fixed, refused } = applyFixes(report, manifests, encodings);
        unfixed = refused;
        const printed = options.dryRun ? fixed : fixed.filter((file) => file.file === '-');
        for (const file of printed) process.stdout.write(file.bytes);
        if (printed.length > 0) reportStream = process.stderr;
        if (!options.dryRun)
          await Promise.all(fixed.filter((f) => f.file !== '-').map(writeAtomically));
        // What is left: every file linted again, the fixed ones as they are now (a Service or
        // ConfigMap in a file no fix touched still matters to the workloads of the others).
        const fixedText = new Map(fixed.map((file) => [file.file, file.text]));
        for (const [index, manifest] of manifests.entries()) {
          const text = fixedText.get(manifest.file);
          if (text !== undefined) manifests[index] = loadManifest(manifest.file, text);
        }
        report = lint();
      }
      reportStream.write(formatReport(report, options.format, version));
      if (unreadable || unfixed || countBySeverity((gate ?? report).findings).error > 0) {
        process.exitCode = 1;
      }
    });
}

/** The rules, for `lameduck lint --help`. */
const rulesHelp = `\nRules (--disable, or the annotation lameduck.io/ignore):\n${lintRules
  .map((rule) => `  ${rule.id.padEnd(29)} ${rule.severity.padEnd(8)} ${rule.summary}`)
  .join('\n')}\n`;

async function readManifests(paths: readonly string[]) {
  const manifests: LoadedManifest[] = [];
  const encodings = new Map<string, ManifestEncoding>();
  let unreadable = false;
  for (const target of paths) {
    try {
      for (const { file, text, encoding } of await readTargets(target)) {
        manifests.push(loadManifest(file, text));
        encodings.set(file, encoding);
      }
    } catch (error) {
      const reason = LameduckError.from(error).rawMessage;
      process.stderr.write(`lameduck lint: cannot read ${target}: ${reason}\n`);
      unreadable = true;
    }
  }
  return { manifests, encodings, unreadable };
}

/**
 * Applies every fix and returns the new text and bytes of each file a fix changed; a file that
 * cannot take its fixes without other changes is told and left out (`refused`).
 */
function applyFixes(
  report: LintReport,
  manifests: readonly LoadedManifest[],
  encodings: ReadonlyMap<string, ManifestEncoding>,
) {
  const changed = new Set<string>();
  for (const finding of report.findings) {
    if (finding.fix === undefined) continue;
    try {
      finding.fix.apply();
      changed.add(finding.fix.file);
    } catch (error) {
      // One fix that cannot be made (a field of an unexpected shape) must not stop the others;
      // its finding stays in the report.
      const reason = LameduckError.from(error).rawMessage;
      const { file, line } = finding.location;
      process.stderr.write(
        `lameduck lint: cannot fix ${finding.ruleId} at ${file}:${line} (${finding.fix.description}): ${reason}\n`,
      );
    }
  }
  const fixed: Array<{ file: string; text: string; bytes: Uint8Array }> = [];
  let refused = false;
  for (const manifest of manifests) {
    if (!changed.has(manifest.file)) continue;
    const result = fixedText(manifest, encodings.get(manifest.file) ?? 'utf8');
    if (result.ok) fixed.push({ file: manifest.file, ...result.value });
    else {
      process.stderr.write(`lameduck lint: cannot fix ${manifest.file}: ${result.error}\n`);
      refused = true;
    }
  }
  return { fixed, refused };
}

function fixedText(
  manifest: LoadedManifest,
  encoding: ManifestEncoding,
): Result<{ text: string; bytes: Uint8Array }, string> {
  const text = renderFixedManifest(manifest);
  if (!text.ok) return text;
  const bytes = encodeManifest(text.value, encoding);
  return bytes.ok ? ok({ text: text.value, bytes: bytes.value }) : bytes;
}

/** Writes beside the file, then renames: a crash never leaves a half-written manifest. */
async function writeAtomically({ file, bytes }: { file: string; bytes: Uint8Array }) {
  const temporary = `${file}.lameduck-${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, file);
}

function formatReport(report: LintReport, format: OutputFormat, version: string): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, lintRules, version);
    default:
      return formatText(report);
  }
}
