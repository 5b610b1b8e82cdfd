import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cliPath = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** What one run of the `lameduck` CLI printed, and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** How {@link runLameduckCli} runs the CLI. */
export interface CliRunOptions {
  /**
   * Without the privileges that let root write any file: as root, the CLI runs with every
   * capability dropped (`setpriv --bounding-set=-all`), so the mode bits bind it as they bind any
   * user, while it can still read the checkout wherever it is. Default: false.
   */
  unprivileged?: boolean;
  /** How long the run may take. Default: 30000. */
  timeoutMs?: number;
  /** Env added to this process's. */
  env?: Record<string, string>;
}

/** Runs `lameduck <args>` (from source, through tsx) with `stdin` as its input; bounded in time. */
export function runLameduckCli(
  args: readonly string[],
  stdin = '',
  options: CliRunOptions = {},
): Promise<CliRun> {
  const command = [process.execPath, '--import', 'tsx', cliPath, ...args];
  if (options.unprivileged === true && process.getuid?.() === 0) {
    command.unshift('setpriv', '--bounding-set=-all', '--');
  }
  const [file = '', ...rest] = command;
  return new Promise((resolve, reject) => {
    const execOptions = {
      timeout: options.timeoutMs ?? 30_000,
      env: { ...process.env, ...options.env },
      maxBuffer: 16 * 1024 * 1024,
    };
    const child = execFile(file, rest, execOptions, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) reject(error ?? new Error('lameduck CLI: no exit code'));
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}
