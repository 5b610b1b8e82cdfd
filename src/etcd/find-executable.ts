import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves a program the way a shell would: a name with a slash is taken as a path (relative to
 * the working directory), a bare name is looked up in each directory of `searchPath`. Resolves
 * the absolute path of the first executable match, or `undefined` when there is none.
 */
export async function findExecutable(
  name: string,
  searchPath: string = process.env.PATH ?? '',
): Promise<string | undefined> {
  if (name === '') return undefined;
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : searchPath
        .split(path.delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => path.resolve(dir, name));
  for (const candidate of candidates) {
    try {
      // A directory passes the X_OK check too, so look at the file type first.
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here, or not executable: try the next directory.
    }
  }
  return undefined;
}
