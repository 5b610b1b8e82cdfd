/**
 * How `--run` becomes a process: a line with no shell syntax runs as it is (split on blanks); a
 * simple command with shell syntax (quotes, `$VAR`, `A=1 app`) runs through `/bin/sh -c` with
 * `exec`, so that the command itself is the container's PID 1 as it would be from an image; a
 * compound line (`a; b`, `a && b`, a pipe) keeps the shell as PID 1, as such an entrypoint does.
 * Pure.
 */
import { err, LameduckError, ok, type Result } from '../../errors/lameduck-error.js';

/** A program and its arguments. */
export interface ContainerCommand {
  command: string;
  args: readonly string[];
  /** True when a shell stays in front of the program (a compound line). */
  shellIsPid1: boolean;
}

const shellSyntax = /[|&;<>()$`\\"'*?[\]#~{}\n=]/;
const compound = /[;&|\n`]|\$\(|[()]/;
const leadingAssignments =
  /^((?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]*)\s+)*)([\s\S]*)$/;

/** Reads a `--run` line. */
export function parseRunLine(line: string): Result<ContainerCommand> {
  const trimmed = line.trim();
  if (trimmed === '') {
    return err(new LameduckError('invalid_config', 'drill: --run is empty'));
  }
  if (!shellSyntax.test(trimmed)) {
    const [command, ...args] = trimmed.split(/\s+/);
    return ok({ command: command as string, args, shellIsPid1: false });
  }
  if (compound.test(trimmed)) {
    return ok({ command: '/bin/sh', args: ['-c', trimmed], shellIsPid1: true });
  }
  const [, assignments = '', rest = ''] = leadingAssignments.exec(trimmed) ?? [];
  return ok({ command: '/bin/sh', args: ['-c', `${assignments}exec ${rest}`], shellIsPid1: false });
}
