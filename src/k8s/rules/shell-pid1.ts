/**
 * A shell as PID 1 that runs the app as a child does not forward SIGTERM: the app never hears
 * it, never drains, and is SIGKILLed at the end of the grace period. bash, dash (0.5.11+) and
 * busybox ash exec a lone simple command themselves (`bash -c /app` is fine); a compound script
 * (`a && b`, `a; b`, pipes) keeps the shell, unless its last command is `exec app`.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { shellScript } from '../shutdown-timing.js';

/** Separators that make a script compound; quoted ones are rare in entrypoints and ignored. */
const compoundPattern = /;|&&|\|\||\||\n|`|\$\(/;

export const shellPid1Rule: LintRule = {
  id: 'shell-pid1',
  severity: 'error',
  summary: 'a shell as PID 1 runs the app as a child and does not forward SIGTERM',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const argv = [...(container.command ?? []), ...(container.args ?? [])];
      const script = shellScript(argv);
      if (script === undefined || !compoundPattern.test(script.trim())) return [];
      const lastCommand =
        script
          .trim()
          .split(/;|&&|\n/)
          .pop()
          ?.trim() ?? '';
      if (lastCommand.startsWith('exec ')) return [];
      const simpleTail = /^(.*)(;|&&)\s*([^;&|`$()]+)$/s.exec(script.trim());
      const scriptIndex = argv.indexOf(script);
      const inCommand = scriptIndex < (container.command?.length ?? 0);
      const field = inCommand ? 'command' : 'args';
      const fieldIndex = inCommand ? scriptIndex : scriptIndex - (container.command?.length ?? 0);
      return [
        {
          message:
            `container '${container.name}' runs \`${script.trim()}\` under a shell as PID 1: the shell ` +
            'does not forward SIGTERM, so the app never drains and is SIGKILLed at the end of the ' +
            'grace period. Start the last command with `exec`, or run the program directly.',
          path: [...container.path, field, fieldIndex],
          ...(simpleTail === null
            ? {}
            : {
                fix: {
                  description: 'exec the last command of the script',
                  apply: () =>
                    setInObject(
                      workload.object,
                      [...container.path, field, fieldIndex],
                      `${simpleTail[1]}${simpleTail[2]} exec ${simpleTail[3]?.trim()}`,
                    ),
                },
              }),
        },
      ];
    });
  },
};
