/**
 * The Go side of the interop tests (test/fixtures/go-interop/), built from Debian's packages of
 * grpc-go and etcd's client in GOPATH mode, with no network. The build takes a minute on two
 * cores, so the binary is cached per machine, under a hash of its sources and of the toolchain
 * and package versions it was built with.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sourceDir = fileURLToPath(new URL('../fixtures/go-interop/', import.meta.url));
/** Where Debian's golang-*-dev packages put their sources. */
const debianGopath = '/usr/share/gocode';
const goPackages = ['golang-go', 'golang-etcd-server-dev', 'golang-google-grpc-dev'];
const buildTimeoutMs = 10 * 60_000;

const goEnv = {
  ...process.env,
  GO111MODULE: 'off',
  GOPATH: debianGopath,
  GOFLAGS: '',
  // Nothing may be fetched: every import comes from Debian's packages.
  GOPROXY: 'off',
};

async function versionKey(): Promise<string> {
  const [go, packages] = await Promise.all([
    run('go', ['version'], { env: goEnv }),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax.
    run('dpkg-query', ['-W', '-f', '${Package}=${Version}\n', ...goPackages]),
  ]);
  return `${go.stdout}${packages.stdout}`;
}

let built: Promise<string> | undefined;

/**
 * The path of the `go-interop` binary (`caller` and `server` subcommands), built on first use
 * and reused while its sources and the Go packages stay the same.
 */
export function goInteropBinary(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.go')).sort();
  const hash = createHash('sha256').update(await versionKey());
  for (const file of files) hash.update(file).update(await readFile(path.join(sourceDir, file)));
  const cacheRoot = path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'lameduck',
    'go-interop',
  );
  const dir = path.join(cacheRoot, hash.digest('hex').slice(0, 16));
  const binary = path.join(dir, 'go-interop');
  try {
    await access(binary);
    return binary;
  } catch {
    // Not built yet for these sources.
  }
  await mkdir(cacheRoot, { recursive: true });
  // Built beside, then renamed: a build cut short never looks finished.
  const scratch = `${dir}.${process.pid}.tmp`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch);
  try {
    await run('go', ['build', '-o', path.join(scratch, 'go-interop'), '.'], {
      cwd: sourceDir,
      env: goEnv,
      timeout: buildTimeoutMs,
    });
    await rename(scratch, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another run built it meanwhile.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return binary;
}
