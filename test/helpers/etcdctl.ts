import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalEtcd } from '../../src/etcd/index.js';

const run = promisify(execFile);

/** Runs `etcdctl` (API v3) against `etcd` and returns what it printed. */
export async function etcdctl(etcd: LocalEtcd, ...args: string[]): Promise<string> {
  const { stdout } = await run('etcdctl', ['--endpoints', etcd.endpoints.join(','), ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 10_000,
  });
  return stdout;
}
