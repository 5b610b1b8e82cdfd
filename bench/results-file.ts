/** Writes a benchmark's results to `bench/results/<name>.json`. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where results go: `bench/results/`, wherever the process was started from. */
export const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * Writes `content` as pretty JSON to `bench/results/<name>.json` and returns the path. The file
 * is written beside its final name, then renamed, so that a run killed halfway leaves the previous
 * results whole (and a `*.tmp` that git ignores) rather than a truncated file.
 */
export async function writeResultsFile(name: string, content: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = `${resultsDir}${name}.json`;
  const tmpPath = `${path}.${process.pid}.tmp`;
  await writeFile(tmpPath, `${JSON.stringify(content, null, 2)}\n`);
  await rename(tmpPath, path);
  return path;
}
