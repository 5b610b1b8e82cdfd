/**
 * How a manifest file's bytes become text and back, without changing a byte the fixes did not
 * edit. Pure.
 */
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../errors/lameduck-error.js';

/**
 * How a file was read: `utf8`, or `latin1` for bytes that are not valid UTF-8 (a Latin-1
 * `# café`), read one character per byte so that they are written back as they were.
 */
export type ManifestEncoding = 'utf8' | 'latin1';

/** A manifest file's text, and how to write it back. */
export interface DecodedManifest {
  readonly text: string;
  readonly encoding: ManifestEncoding;
}

/** Reads `bytes` as UTF-8 (a byte order mark kept), or as Latin-1 when they are not UTF-8. */
export function decodeManifest(bytes: Uint8Array): DecodedManifest {
  try {
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    // Replacing what UTF-8 cannot read with U+FFFD would write those bytes back changed.
    return { text: Buffer.from(bytes).toString('latin1'), encoding: 'latin1' };
  }
}

/** `text` as bytes in `encoding`; the error says what `encoding` cannot hold. */
export function encodeManifest(text: string, encoding: ManifestEncoding): Result<Buffer, string> {
  if (encoding === 'latin1') {
    const outside = /[\u0100-\u{10ffff}]/u.exec(text);
    if (outside !== null) {
      return err(
        `the file is not UTF-8, read as Latin-1, and the fix adds ${JSON.stringify(outside[0])}, ` +
          'which Latin-1 cannot hold',
      );
    }
  }
  return ok(Buffer.from(text, encoding));
}
