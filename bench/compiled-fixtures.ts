/**
 * The benchmarks' server children run compiled, as users run lameduck (tsc's output, no loader
 * on the request path): `tsconfig.bench.json` builds the fixtures and the sources they import
 * into dist-bench/, once per `bench/run.ts`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(repoRoot, 'dist-bench');
// Read at run time beside the compiled code (`new URL(..., import.meta.url)`).
const assets = ['test/fixtures/grpc/echo.proto'];

/** Compiles the fixtures into dist-bench/ and copies the files they read. */
export async function compileFixtures(signal: AbortSignal): Promise<void> {
  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], {
    cwd: repoRoot,
    signal,
  });
  for (const asset of assets) {
    await cp(path.join(repoRoot, asset), path.join(outDir, asset));
  }
}

/** The compiled JavaScript of `script`, a TypeScript file of the repository. */
export function compiledScript(script: string): string {
  const relative = path.relative(repoRoot, script);
  const compiled = path.join(outDir, relative.replace(/\.ts$/, '.js'));
  if (!existsSync(compiled)) {
    throw new Error(
      `bench: ${compiled} is missing; bench/run.ts compiles the fixtures first (tsconfig.bench.json)`,
    );
  }
  return compiled;
}
