/**
 * The drill knows the service under test only from outside (manifest, command, traffic): nothing
 * it imports, directly or through what it imports, is the server side of the runtime (the
 * lifecycle, the drains, the admin server, the gRPC server participant). As a caller it may use
 * lameduck's client: the `etcd:///` resolver and the registry's discovery.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));
const serverSide = [
  'lifecycle/',
  'drain/',
  'http/',
  'admin/',
  'grpc/server-drain.ts',
  'grpc/call-tracker.ts',
  'grpc/health.ts',
  'grpc/server-metrics.ts',
];

/** The repository files `file` imports by relative path (static imports and exports). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/\bfrom\s+'(\.[^']+)'/g)].map((m) => m[1] ?? '');
  return specifiers.map((specifier) => {
    const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
    return existsSync(target) ? target : path.join(target.replace(/\.ts$/, ''), 'index.ts');
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

test('the drill reaches none of the server side of the runtime, however indirectly', () => {
  const drillFiles = sourceFiles(path.join(srcDir, 'drill'));
  assert.ok(drillFiles.length > 10, `${drillFiles.length} drill files found`);
  // Each reached file with the chain of imports that reaches it.
  const reachedBy = new Map<string, string[]>(drillFiles.map((f) => [f, [f]]));
  const pending = [...drillFiles];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const imported of relativeImports(file)) {
      if (reachedBy.has(imported)) continue;
      reachedBy.set(imported, [...(reachedBy.get(file) ?? []), imported]);
      pending.push(imported);
    }
  }
  const relative = (file: string): string => path.relative(srcDir, file);
  const crossings = [...reachedBy]
    .filter(([file]) => serverSide.some((part) => relative(file).startsWith(part)))
    .map(([, chain]) => chain.map(relative).join(' -> '));
  assert.deepEqual(crossings, []);
  // The walk does follow the client side, so an empty list is not an empty walk.
  assert.ok(reachedBy.has(path.join(srcDir, 'grpc/etcd-resolver.ts')));
});
