import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeManifest, encodeManifest } from './manifest-encoding.js';

test('any bytes are written back as they were read, UTF-8 or not', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const { text, encoding } = decodeManifest(bytes);
      assert.deepEqual(encodeManifest(text, encoding), { ok: true, value: Buffer.from(bytes) });
    }),
  );
});

test('UTF-8 is read as UTF-8, byte order mark kept; other bytes one character per byte', () => {
  const utf8 = Buffer.from('\uFEFF# café\n', 'utf8');
  assert.deepEqual(decodeManifest(utf8), { text: '\uFEFF# café\n', encoding: 'utf8' });
  const latin1 = Buffer.from('# café\n', 'latin1');
  assert.deepEqual(decodeManifest(latin1), { text: '# café\n', encoding: 'latin1' });
});

test('a Latin-1 file is not written with a character Latin-1 cannot hold', () => {
  const written = encodeManifest('# café ✓\n', 'latin1');
  assert.equal(written.ok, false);
  assert.match(written.ok ? '' : written.error, /adds "✓", which Latin-1 cannot hold/);
});
