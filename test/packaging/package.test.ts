/**
 * The package as npm ships it (issue 15, item 14), built and packed into a temporary directory
 * (the worktree's dist/ is left alone), then installed into a temporary app the way npm lays it
 * out: the tarball at node_modules/lameduck, its dependencies beside it. No network: the
 * dependencies are linked from this repository's node_modules.
 *
 * 1. The tarball holds LICENSE, README.md, package.json, and exactly the compiled modules that an
 *    export or the bin reaches (the bin's `lameduck drill` reaches dist/drill and dist/etcd, its
 *    local etcd; it loads them only when run), with their declarations
 *    (every one an export's types reach among them) and source maps that carry their sources.
 * 2. With only the dependencies (an HTTP-only app), `lameduck` and `lameduck/http` load, the CLI
 *    runs, and `lameduck/grpc` and `lameduck/etcd` fail naming the peer to install.
 * 3. With the optional peers, every subpath loads and exports what the README uses.
 * 4. A TypeScript app importing every subpath type-checks (nodenext, skipLibCheck: false).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
const manifest = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

/** Builds and packs the package into a temporary directory; returns the tarball's path. */
async function pack(t: TestContext): Promise<{ dir: string; tarball: string; files: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lameduck-pack-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'package');
  await mkdir(source);
  await run(process.execPath, [
    tsc,
    '-p',
    path.join(repo, 'tsconfig.build.json'),
    '--outDir',
    path.join(source, 'dist'),
  ]);
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    await cp(path.join(repo, file), path.join(source, file));
  }
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: source,
  });
  const [packed] = JSON.parse(stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  assert.ok(packed);
  return { dir, tarball: path.join(dir, packed.filename), files: packed.files.map((f) => f.path) };
}

/** The compiled files reached from `entries` through relative imports and re-exports. */
async function reachable(root: string, entries: readonly string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(path.join(root, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.posix.join(path.posix.dirname(file), specifier ?? '');
      // Declarations name the modules they describe: `./x.js` is `./x.d.ts` beside it.
      pending.push(file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target);
    }
  }
  return seen;
}

test('the package: exactly what the exports and the bin reach, with LICENSE, types and working maps; installs and loads per subpath', async (t) => {
  const { dir, tarball, files } = await pack(t);
  const extracted = path.join(dir, 'extracted');
  await mkdir(extracted);
  await run('tar', ['xzf', tarball, '-C', extracted]);
  const root = path.join(extracted, 'package');

  // 1. The file list.
  for (const file of ['LICENSE', 'README.md', 'package.json'])
    assert.ok(files.includes(file), file);
  assert.match(
    await readFile(path.join(root, 'LICENSE'), 'utf8'),
    /Apache License\s+Version 2\.0, January 2004/,
  );
  const code = await reachable(root, [
    ...Object.values(manifest.exports).map((e) => path.posix.normalize(e.default)),
    ...Object.values(manifest.bin).map((file) => path.posix.normalize(file)),
  ]);
  const types = await reachable(
    root,
    Object.values(manifest.exports).map((e) => path.posix.normalize(e.types)),
  );
  const shipped = files.filter((file) => file.startsWith('dist/'));
  const only = (suffix: string) => shipped.filter((file) => file.endsWith(suffix));
  // A module of types only compiles to an empty `export {};`: emitted beside its declarations.
  const typesOnly = async (file: string) =>
    /^export \{\};\s*(\/\/# sourceMappingURL=\S+\s*)?$/.test(
      await readFile(path.join(root, file), 'utf8'),
    );
  const unreached = only('.js').filter((file) => !code.has(file));
  const unreachedCode = [];
  for (const file of unreached) if (!(await typesOnly(file))) unreachedCode.push(file);
  assert.deepEqual(unreachedCode, [], 'code shipped that no export and not the bin reaches');
  // Declarations come with their module (internal ones too, which cost little): none without.
  assert.deepEqual(
    only('.d.ts').filter((file) => !shipped.includes(file.replace(/\.d\.ts$/, '.js'))),
    [],
    'types shipped for a module not shipped',
  );
  assert.deepEqual(
    [...code, ...types].filter((file) => !files.includes(file)),
    [],
    'reached by an export or the bin but not shipped (add it to "files")',
  );
  assert.ok(!shipped.some((file) => /\.test\./.test(file)), 'a test file shipped');
  for (const js of shipped.filter((file) => file.endsWith('.js'))) {
    assert.ok(shipped.includes(`${js}.map`), `${js} has a map`);
    const map = JSON.parse(await readFile(path.join(root, `${js}.map`), 'utf8')) as {
      sources: string[];
      sourcesContent?: Array<string | null>;
    };
    assert.equal(map.sourcesContent?.length, map.sources.length, `${js}.map carries its sources`);
    assert.ok(
      map.sourcesContent?.every((content) => typeof content === 'string' && content.length > 0),
    );
  }

  // 2. An app with the dependencies only.
  const app = path.join(dir, 'app');
  const modules = path.join(app, 'node_modules');
  await mkdir(path.join(modules, '@grpc'), { recursive: true });
  await writeFile(path.join(app, 'package.json'), '{ "type": "module", "private": true }\n');
  await cp(root, path.join(modules, 'lameduck'), { recursive: true });
  const link = (name: string) =>
    symlink(path.join(repo, 'node_modules', name), path.join(modules, name), 'dir');
  for (const name of Object.keys(manifest.dependencies)) await link(name);
  const load = (specifiers: readonly string[]) =>
    run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); console.log(s, Object.keys(m).sort().join(',')); }`,
      ],
      { cwd: app },
    );
  const httpOnly = await load(['lameduck', 'lameduck/http']);
  assert.match(httpOnly.stdout, /^lameduck .*createLifecycle/m);
  assert.match(httpOnly.stdout, /^lameduck\/http .*drainHttpServer/m);
  await assert.rejects(load(['lameduck/grpc']), /Cannot find package '@grpc\/grpc-js'/);
  await assert.rejects(load(['lameduck/etcd']), /Cannot find package '(etcd3|@grpc\/grpc-js)'/);
  const bin = path.join(modules, 'lameduck', manifest.bin.lameduck ?? '');
  assert.equal((await run(process.execPath, [bin, '--version'])).stdout.trim(), manifest.version);
  const lint = await run(process.execPath, [
    bin,
    'lint',
    path.join(repo, 'examples/k8s/passport.yaml'),
  ]);
  assert.match(lint.stdout, /^1 workload\(s\) checked: 0 error\(s\)/);
  // The drill loads its packages when run: without them, it says which to install.
  assert.match((await run(process.execPath, [bin, 'drill', '--help'])).stdout, /--run <command>/);
  const drill = await run(process.execPath, [
    bin,
    'drill',
    'x.yaml',
    '--run',
    'x',
    '--http',
    'GET /',
  ]).catch((error: { code: number; stderr: string }) => error);
  assert.equal((drill as { code: number }).code, 2);
  assert.match(
    (drill as { stderr: string }).stderr,
    /lameduck drill needs @grpc\/grpc-js, @grpc\/proto-loader and etcd3/,
  );
  // An HTTP-only app pays for none of gRPC's or etcd's packages (uPlot, 50 kB, draws the
  // drill's report).
  assert.deepEqual(Object.keys(manifest.dependencies).sort(), [
    'cockatiel',
    'commander',
    'prom-client',
    'uplot',
    'yaml',
  ]);
  for (const [name, range] of Object.entries(manifest.peerDependencies)) {
    assert.equal(
      manifest.peerDependenciesMeta[name]?.optional,
      true,
      `${name}@${range} is optional`,
    );
  }

  // 3. With the optional peers.
  for (const name of Object.keys(manifest.peerDependencies)) await link(name);
  const all = await load(['lameduck/grpc', 'lameduck/etcd']);
  assert.match(all.stdout, /^lameduck\/grpc .*drainGrpcServer/m);
  assert.match(all.stdout, /^lameduck\/etcd .*etcdRegistration.*registerEtcdResolver/m);

  // 4. Types, as a strict TypeScript app sees them.
  await mkdir(path.join(modules, '@types'));
  await symlink(
    path.join(repo, 'node_modules/@types/node'),
    path.join(modules, '@types/node'),
    'dir',
  );
  await writeFile(
    path.join(app, 'main.ts'),
    [
      "import { createLifecycle, type Participant } from 'lameduck';",
      "import { drainHttpServer } from 'lameduck/http';",
      "import { drainGrpcServer } from 'lameduck/grpc';",
      "import { etcdRegistration, registerEtcdResolver } from 'lameduck/etcd';",
      "const pool: Participant = { name: 'pool', start() {}, async stop() {} };",
      'export const uses = [createLifecycle, drainHttpServer, drainGrpcServer, etcdRegistration, registerEtcdResolver, pool];',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
  );
  const typed = await run(process.execPath, [tsc, '-p', app]).catch(
    (error: { stdout: string }) => error,
  );
  assert.equal('stdout' in typed ? typed.stdout : '', '', 'tsc reports nothing');
  assert.deepEqual(
    await readdir(path.join(modules, 'lameduck/dist/cli')).then((names) =>
      names.includes('main.js'),
    ),
    true,
  );
});
