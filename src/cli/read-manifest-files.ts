import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { buffer as readStream } from 'node:stream/consumers';
import { LameduckError } from '../errors/lameduck-error.js';
import { type DecodedManifest, decodeManifest } from '../k8s/manifest-encoding.js';

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

/** A manifest file as read: its name as given (`-` for standard input), and its text. */
export interface ManifestFile extends DecodedManifest {
  readonly file: string;
}

/** What {@link readManifestFiles} read, and whether anything named could not be read. */
export interface ManifestFiles {
  readonly files: ManifestFile[];
  readonly unreadable: boolean;
}

/**
 * Reads the manifests `targets` name: files, directories (searched for .yaml/.yml/.json, links
 * to files followed, links to directories not, so a link loop is never walked) and `-`
 * (standard input). Each file is read once, however many names lead to it (`a.yaml ./a.yaml`, a
 * file and its directory, a link and its target). What is not a regular file is skipped: with a
 * message when named, silently inside a directory; it is opened without waiting, so a named pipe
 * does not hang the read. What cannot be read is told to `report` and makes `unreadable` true.
 */
export async function readManifestFiles(
  targets: readonly string[],
  report: (message: string) => void,
): Promise<ManifestFiles> {
  const files: ManifestFile[] = [];
  const seen = new Set<string>();
  let unreadable = false;
  const cannotRead = (name: string, error: unknown) => {
    report(`cannot read ${name}: ${LameduckError.from(error).rawMessage}`);
    unreadable = true;
  };
  for (const target of targets) {
    if (target === '-') {
      if (!seen.has('-'))
        files.push({ file: '-', ...decodeManifest(await readStream(process.stdin)) });
      seen.add('-');
      continue;
    }
    let names: string[];
    try {
      names = (await stat(target)).isDirectory() ? await manifestsIn(target) : [target];
    } catch (error) {
      cannotRead(target, error);
      continue;
    }
    for (const name of names) {
      try {
        const real = await realpath(name);
        if (seen.has(real)) continue;
        seen.add(real);
        const bytes = await readRegularFile(name);
        if (bytes !== undefined) files.push({ file: name, ...decodeManifest(bytes) });
        else if (name === target) report(`skipping ${name}: not a regular file`);
      } catch (error) {
        cannotRead(name, error);
      }
    }
  }
  return { files, unreadable };
}

/** The manifest files below `directory` (and links to them), sorted. */
async function manifestsIn(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (entry) =>
        (entry.isFile() || entry.isSymbolicLink()) &&
        manifestExtensions.has(path.extname(entry.name)),
    )
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** The content of `file`, or `undefined` when it is not a regular file (a pipe, a directory). */
async function readRegularFile(file: string): Promise<Buffer | undefined> {
  // O_NONBLOCK: opening a named pipe would otherwise wait for a writer before fstat can tell.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return (await handle.stat()).isFile() ? await handle.readFile() : undefined;
  } finally {
    await handle.close();
  }
}
