import { Command, InvalidArgumentError, Option } from 'commander';
import { LameduckError } from '../errors/lameduck-error.js';
import { type LintReport, lintManifests } from '../k8s/lint.js';
import { encodeManifest } from '../k8s/manifest-encoding.js';
import { type LoadedManifest, loadManifest } from '../k8s/manifest-loader.js';
import { renderFixedManifest } from '../k8s/render-fixed-manifest.js';
import { countBySeverity, formatJson, formatText } from '../k8s/report-format.js';
import { lintRules } from '../k8s/rules/index.js';
import { formatSarif } from '../k8s/sarif-format.js';
import { formatAppliedFix, textChanges } from '../k8s/text-changes.js';
import { type ManifestFile, readManifestFiles } from './read-manifest-files.js';
import { writeManifestFile } from './write-manifest-file.js';

/** The Kubernetes version assumed when `--k8s-version` is not given: the newest we know. */
export const defaultK8sVersion = '1.35';

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

type OutputFormat = 'text' | 'json' | 'sarif';

interface LintCommandOptions {
  format: OutputFormat;
  k8sVersion: readonly [number, number];
  disable: string[];
  fix: boolean;
  dryRun: boolean;
  allowEmpty: boolean;
}

/**
 * `lameduck lint`: checks Kubernetes manifests for the mistakes that drop requests at shutdown.
 * With `--fix`, applies the safe fixes (in place, or to standard output with `--dry-run` or for
 * standard input), changing no byte outside their edits, and reports what is left. Exit code 1
 * when an error finding remains or a file cannot be read, fixed or written; else 2 when no
 * workload was found (unless `--allow-empty`); else 0.
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
    .option('--allow-empty', 'exit 0, not 2, when the paths hold no workload', false)
    .addHelpText('after', rulesHelp)
    .action(async (paths: string[], options: LintCommandOptions, command: Command) => {
      // With no paths, `-` is implied: refuse to wait on a terminal for YAML nobody is typing.
      if (command.args.length === 0 && process.stdin.isTTY) {
        command.error(
          'lameduck lint: no manifests given: name files or directories, or pipe them in with -',
        );
      }
      const { files, unreadable } = await readManifestFiles(paths, warn);
      const manifests = files.map((file) => loadManifest(file.file, file.text));
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
        const { fixed, refused } = applyFixes(report, files, manifests);
        const printed = options.dryRun ? fixed : fixed.filter((file) => file.file === '-');
        for (const file of printed) process.stdout.write(file.bytes);
        if (printed.length > 0) reportStream = process.stderr;
        const written = options.dryRun ? fixed : await writeFixes(fixed);
        // Each fix, where and what it changed: nobody should have to diff the files to know.
        const verb = options.dryRun ? 'would fix' : 'fixed';
        for (const file of written) for (const fix of file.applied) warn(`${verb} ${fix}`);
        unfixed = refused || written.length < fixed.length;
        // What is left: every file linted again, the fixed ones as they are now (a Service or
        // ConfigMap in a file no fix touched still matters to the workloads of the others).
        for (const { index, file, text } of written) manifests[index] = loadManifest(file, text);
        report = lint();
      }
      reportStream.write(formatReport(report, options.format, version));
      // A CI step pointed at the wrong place must not pass on nothing.
      const empty = report.workloadCount === 0 && !options.allowEmpty;
      if (empty) {
        const names = paths.map((name) => (name === '-' ? 'standard input' : name)).join(', ');
        warn(`no workload found in ${names}: nothing was checked (--allow-empty accepts that)`);
      }
      if (unreadable || unfixed || countBySeverity((gate ?? report).findings).error > 0) {
        process.exitCode = 1;
      } else if (empty) process.exitCode = 2;
    });
}

/** The rules, for `lameduck lint --help`. */
const rulesHelp = `\nRules (--disable, or the annotation lameduck.io/ignore):\n${lintRules
  .map((rule) => `  ${rule.id.padEnd(29)} ${rule.severity.padEnd(8)} ${rule.summary}`)
  .join('\n')}\n`;

function warn(message: string): void {
  process.stderr.write(`lameduck lint: ${message}\n`);
}

/** A file's text after its fixes, its bytes in the file's encoding, and what each fix did. */
interface FixedFile {
  /** Its index among the files read. */
  index: number;
  file: string;
  text: string;
  bytes: Uint8Array;
  /** Each fix applied, as {@link formatAppliedFix} tells it. */
  applied: string[];
}

/**
 * Applies every fix, one at a time so that each one's change to the text can be told, and
 * returns each file a fix changed, as it is now; a file that cannot take its fixes without
 * other changes is told and left out (`refused`).
 */
function applyFixes(
  report: LintReport,
  files: readonly ManifestFile[],
  manifests: readonly LoadedManifest[],
): { fixed: FixedFile[]; refused: boolean } {
  const fixed: FixedFile[] = [];
  let refused = false;
  for (const [index, manifest] of manifests.entries()) {
    const findings = report.findings.filter((finding) => finding.fix?.file === manifest.file);
    if (findings.length === 0) continue;
    let text = manifest.text;
    const applied: string[] = [];
    let refusal: string | undefined;
    for (const finding of findings) {
      if (finding.fix === undefined) continue;
      try {
        finding.fix.apply();
      } catch (error) {
        // One fix that cannot be made (a field of an unexpected shape) must not stop the others;
        // its finding stays in the report.
        const reason = LameduckError.from(error).rawMessage;
        const { file, line } = finding.location;
        warn(
          `cannot fix ${finding.ruleId} at ${file}:${line} (${finding.fix.description}): ${reason}`,
        );
        continue;
      }
      const rendered = renderFixedManifest(manifest);
      if (!rendered.ok) {
        refusal = rendered.error;
        break;
      }
      const changes = textChanges(text, rendered.value);
      if (changes.length > 0) {
        applied.push(
          formatAppliedFix(manifest.file, finding.ruleId, finding.fix.description, changes),
        );
      }
      text = rendered.value;
    }
    const bytes =
      refusal === undefined ? encodeManifest(text, files[index]?.encoding ?? 'utf8') : undefined;
    if (bytes?.ok) fixed.push({ index, file: manifest.file, text, bytes: bytes.value, applied });
    else {
      warn(`cannot fix ${manifest.file}: ${refusal ?? (bytes?.ok === false ? bytes.error : '')}`);
      refused = true;
    }
  }
  return { fixed, refused };
}

/**
 * Writes the fixed files (standard input's is printed instead) and returns those written; why
 * the others could not be is told.
 */
async function writeFixes(fixed: readonly FixedFile[]): Promise<FixedFile[]> {
  const written: FixedFile[] = [];
  for (const file of fixed) {
    try {
      if (file.file !== '-') await writeManifestFile(file.file, file.bytes);
      written.push(file);
    } catch (error) {
      warn(`cannot write ${file.file}: ${LameduckError.from(error).rawMessage}`);
    }
  }
  return written;
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
