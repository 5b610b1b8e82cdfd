import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LameduckError } from '../errors/lameduck-error.js';

/**
 * Replaces the content of `file` with `bytes` as one step: written beside it, then renamed over
 * it, so a crash never leaves a half-written manifest. What the file is stays: a symbolic link
 * stays a link and its target is written; the mode (a 0600 file holding a Secret stays 0600, a
 * read-only one read-only) and the owner and group are those of the file it replaces.
 *
 * Rejects, with the file unchanged, when the caller may not write the file (as the OS decides
 * for this user: root may write a read-only file, and it stays read-only), when the file has
 * other hard links (a new file would leave them with the old content), or when the write fails
 * (a read-only directory or file system, a full disk).
 */
export async function writeManifestFile(file: string, bytes: Uint8Array): Promise<void> {
  const target = await realpath(file);
  const original = await stat(target);
  if (original.nlink > 1) {
    throw new LameduckError(
      'invalid_state',
      `${target} has ${original.nlink} hard links, which a new file would leave unfixed`,
    );
  }
  await access(target, constants.W_OK);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.lameduck-${randomUUID()}.tmp`,
  );
  const handle = await open(temporary, 'wx', 0o600);
  let renamed = false;
  try {
    await handle.writeFile(bytes);
    const written = await handle.stat();
    // Before chmod: a chown clears the set-user-ID and set-group-ID bits.
    if (written.uid !== original.uid || written.gid !== original.gid) {
      await handle.chown(original.uid, original.gid);
    }
    await handle.chmod(original.mode & 0o7777);
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close();
      await rm(temporary, { force: true });
    }
  }
}
