/**
 * The reaper: one small process per drill that SIGKILLs the pods' process groups (and, with
 * --netns, removes their namespaces) if the drill itself dies without cleaning up (SIGKILL, a
 * crash), so no pod outlives its drill. It holds the
 * read end of a pipe whose only writer is the drill; the kernel closes it when the drill dies for
 * any reason. Plain CommonJS run with `node -e`: it needs no loader and works from `src/` and
 * `dist/` alike. The `process.on` calls run in the reaper, never in the drill.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const reaperSource = `'use strict';
const { execFileSync } = require('node:child_process');
const groups = new Set();
const networks = new Set();
let buffered = '';
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  for (const line of lines) {
    if (line[0] === '!') networks.add(line.slice(1));
    else if (line[0] === '?') networks.delete(line.slice(1));
    else if (line[0] === '+') groups.add(Number(line.slice(1)));
    else groups.delete(Number(line.slice(1)));
  }
});
const reap = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  for (const entry of networks) {
    const [kind, name] = entry.split(' ');
    const args = kind === 'netns' ? ['netns', 'del', name] : kind === 'route' ? ['route', 'del', 'blackhole', name] : ['addr', 'del', name, 'dev', 'lo'];
    try { execFileSync('ip', args, { stdio: 'ignore' }); } catch {}
  }
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
  /** Remove this network (`netns NAME`, `route CIDR`, `addr CIDR` on loopback) if the drill dies. */
  watchNetwork(entry: string): void;
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
    watchNetwork: (entry) => send(`!${entry}`),
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}
