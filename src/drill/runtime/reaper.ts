/**
 * The reaper: one small process per drill that SIGKILLs the pods' process groups if the drill
 * itself dies without cleaning up (SIGKILL, a crash), so no pod outlives its drill. It holds the
 * read end of a pipe whose only writer is the drill; the kernel closes it when the drill dies for
 * any reason. Plain CommonJS run with `node -e`: it needs no loader and works from `src/` and
 * `dist/` alike. The `process.on` calls run in the reaper, never in the drill.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const reaperSource = `'use strict';
const groups = new Set();
let buffered = '';
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pgid); else groups.delete(pgid);
  }
});
const reap = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

/** The drill's side of the reaper. */
export interface Reaper {
  /** Kill this process group if the drill dies. */
  watch(pgid: number): void;
  /** The group is gone; forget it. */
  forget(pgid: number): void;
  /** Stops the reaper (after the drill killed every group itself). */
  close(): Promise<void>;
}

/** Starts the reaper. */
export function startReaper(): Reaper {
  const child: ChildProcess = spawn(process.execPath, ['-e', reaperSource], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.on('error', () => {});
  const send = (line: string) => {
    if (child.stdin?.writable) child.stdin.write(`${line}\n`);
  };
  return {
    watch: (pgid) => send(`+${pgid}`),
    forget: (pgid) => send(`-${pgid}`),
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}
