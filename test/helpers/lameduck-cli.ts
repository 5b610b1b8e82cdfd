import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cliPath = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** What one run of the `lameduck` CLI printed, and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lameduck <args>` (from source, through tsx) with `stdin` as its input; bounded to 30 s. */
export function runLameduckCli(args: readonly string[], stdin = ''): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', cliPath, ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error ?? new Error('lameduck CLI: no exit code'));
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}
