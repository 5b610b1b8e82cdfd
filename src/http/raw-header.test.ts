import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawHeader } from './raw-header.js';

test('rawHeader finds a header whatever the case of its name, and only a whole name', () => {
  const raw = [
    'Host',
    'x',
    'USER-AGENTS',
    'no',
    'User-Agent',
    'kube-probe/1.30',
    'user-agent',
    'b',
  ];
  assert.equal(rawHeader(raw, 'user-agent'), 'kube-probe/1.30');
  assert.equal(rawHeader(raw, 'host'), 'x');
  assert.equal(rawHeader(['user_agent', 'no'], 'user-agent'), undefined);
  // Not letters: '-' (0x2d) must not match CR (0x0d) or '\r' folded.
  assert.equal(rawHeader(['user\ragent', 'no'], 'user-agent'), undefined);
  assert.equal(rawHeader([], 'user-agent'), undefined);
});
