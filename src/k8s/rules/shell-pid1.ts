/**
 * A shell as PID 1 that runs the app as a child does not forward SIGTERM: the app never hears
 * it, never drains, and is SIGKILLed at the end of the grace period. A lone simple command is
 * fine: bash, dash (from 0.5.11: Debian 11+, Ubuntu 22.04+) and busybox ash exec it in place of
 * the shell (`bash -c /app` runs `/app` as PID 1). Older dash (Debian 10, Ubuntu 20.04) forks
 * even then; the manifest does not say which shell the image has, so that case is not reported.
 * A compound script (`a && b`, `a; b`, pipes, `$(…)`) keeps the shell, unless it ends in `exec`.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setScalarInObject } from '../manifest-edit.js';
import { programName, shellScript } from '../shutdown-timing.js';

/** Operators that make a script compound. A quoted one (`echo 'a;b'`) counts too: rare here. */
const compoundPattern = /;|&&|\|\||\||(?<![<>&])&(?![>&])|\n|`|\$\(/;
/** Splits a script into its commands, at every operator of {@link compoundPattern}. */
const commandSeparator = /;|&&|\|\||\||(?<![<>&])&(?![>&])|\n/;
/** A trap that kills: the script forwards the signal itself (`trap 'kill -TERM $pid' TERM`). */
const forwardingTrapPattern = /\btrap\b[^\n]*\bkill\b/;
/** What makes inserting `exec` unsafe: other operators, subshells, groups, substitutions. */
const unsafeForFixPattern = /\|\||\||(?<![<>&])&(?![>&])|\n|`|\$\(|[(){}]/;
/** Words that start a compound command (`if …; then …; fi`): `exec fi` is not a program. */
const shellKeywords = new Set(
  'if then else elif fi for while until do done case esac select function ! [[ ]]'.split(' '),
);
/** Commands that are not the app: a script ending in `echo done` ran the app earlier. */
const notTheApp = new Set(['echo', 'printf', 'true', 'false', 'exit', 'wait', 'sleep', ':']);

/** Reports a compound `sh -c` script as PID 1; the fix execs its last command when that is safe. */
export const shellPid1Rule: LintRule = {
  id: 'shell-pid1',
  severity: 'error',
  summary: 'a shell as PID 1 runs the app as a child and does not forward SIGTERM',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      // The runtime runs command then args as one argv. With args alone the image's ENTRYPOINT,
      // unseen here, comes first: usually a wrapper that execs its arguments, so args are read.
      const argv = [...(container.command ?? []), ...(container.args ?? [])];
      const script = shellScript(argv);
      if (script === undefined) return [];
      const body = script.replace(/[\s;]+$/, '');
      if (!compoundPattern.test(body) || forwardingTrapPattern.test(body)) return [];
      const last = body.split(commandSeparator).pop()?.trim() ?? '';
      if (/^exec\s/.test(last.slice(leadingAssignments(last).length))) return [];
      const scriptIndex = argv.indexOf(script);
      const commandLength = container.command?.length ?? 0;
      const field = scriptIndex < commandLength ? 'command' : 'args';
      const scriptPath = [
        ...container.path,
        field,
        field === 'command' ? scriptIndex : scriptIndex - commandLength,
      ];
      const fixed = execLastCommand(body, last);
      // bash 5.1+ execs the last simple command of a `-c` list itself (`a; b`, `a && b`); older
      // bash, dash and the rest keep the shell: which bash the image has is not in the manifest.
      const bash = programName(argv[0]) === 'bash' && !/`|\$\(|\|/.test(body);
      return [
        {
          message:
            `container '${container.name}' runs \`${body}\` with a shell as PID 1: the shell does ` +
            'not forward SIGTERM to the app, so the app never drains and is SIGKILLed at the end ' +
            'of the grace period, dropping its requests' +
            (bash
              ? ' (bash 5.1 and later exec the last command themselves; older bash does not)'
              : '') +
            '. Start the program with `exec` as the ' +
            `script's last command${fixed === undefined ? '' : ` (\`${fixed}\`)`}, or run it directly.`,
          path: scriptPath,
          ...(bash ? { severity: 'warning' as const } : {}),
          ...(fixed === undefined
            ? {}
            : {
                fix: {
                  description: 'exec the last command of the script',
                  apply: () => setScalarInObject(workload.object, scriptPath, fixed),
                },
              }),
        },
      ];
    });
  },
};

/**
 * `body` with `exec ` before its last command, when the script is a plain `a && b` or `a; b`
 * chain of simple commands whose last one looks like the program; otherwise `undefined`.
 */
function execLastCommand(body: string, last: string): string | undefined {
  if (unsafeForFixPattern.test(body)) return undefined;
  const commands = body.split(/;|&&/).map((command) => command.trim());
  if (commands.some((command) => shellKeywords.has(command.split(/\s+/)[0] ?? ''))) {
    return undefined;
  }
  if (notTheApp.has(last.split(/\s+/)[0] ?? '')) return undefined;
  // `body` has no trailing blanks or `;`, so it ends with `last`. `exec` goes after leading
  // assignments: `A=1 exec /app` passes A to the app, `exec A=1 /app` finds no program `A=1`.
  const assignments = leadingAssignments(last);
  if (notTheApp.has(last.slice(assignments.length).split(/\s+/)[0] ?? '')) return undefined;
  const lastStart = body.length - last.length + assignments.length;
  return `${body.slice(0, lastStart)}exec ${body.slice(lastStart)}`;
}

/** The `NAME=value ` words that start `command`. */
function leadingAssignments(command: string): string {
  return /^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/.exec(command)?.[0] ?? '';
}
