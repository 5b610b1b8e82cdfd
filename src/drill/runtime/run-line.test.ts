import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunLine } from './run-line.js';

test('--run: plain lines run as they are, simple shell lines exec, compound ones keep the shell', () => {
  assert.deepEqual(parseRunLine('  node server.js --port 8080 '), {
    ok: true,
    value: { command: 'node', args: ['server.js', '--port', '8080'], shellIsPid1: false },
  });
  assert.deepEqual(parseRunLine('MODE=naive node "my server.js"'), {
    ok: true,
    value: {
      command: '/bin/sh',
      args: ['-c', 'MODE=naive exec node "my server.js"'],
      shellIsPid1: false,
    },
  });
  assert.deepEqual(parseRunLine('python3 app.py --port $PORT'), {
    ok: true,
    value: {
      command: '/bin/sh',
      args: ['-c', 'exec python3 app.py --port $PORT'],
      shellIsPid1: false,
    },
  });
  assert.deepEqual(parseRunLine('cd /srv && node app.js'), {
    ok: true,
    value: { command: '/bin/sh', args: ['-c', 'cd /srv && node app.js'], shellIsPid1: true },
  });
  assert.equal(parseRunLine('   ').ok, false);
});
