import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLineWriter } from './line-writer.js';

/** A stream that keeps what it is given, or fails every write with `code` once broken. */
function memoryStream() {
  const written: string[] = [];
  let failWith: string | undefined;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (failWith === undefined) {
        written.push(chunk.toString());
        done();
      } else done(Object.assign(new Error(`write ${failWith}`), { code: failWith }));
    },
  });
  return { stream, written, break: (code: string) => (failWith = code) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a failing primary is announced once; later lines go to the fallback; nothing throws', async () => {
  const out = memoryStream();
  const err = memoryStream();
  const write = createLineWriter({ primary: out.stream, fallback: err.stream });
  write('one\n');
  out.break('EPIPE');
  write('lost\n');
  await tick();
  write('two\n');
  write('three\n');
  await tick();
  assert.deepEqual(out.written, ['one\n']);
  assert.deepEqual(err.written, [
    'lameduck: standard output is closed (EPIPE); log lines go to standard error from now on\n',
    'two\n',
    'three\n',
  ]);
});

test('when the fallback fails too, lines are dropped without an error', async () => {
  const out = memoryStream();
  const err = memoryStream();
  const write = createLineWriter({ primary: out.stream, fallback: err.stream });
  out.break('EPIPE');
  err.break('EPIPE');
  write('a\n');
  await tick();
  write('b\n');
  await tick();
  out.stream.destroy();
  write('c\n');
  assert.deepEqual([...out.written, ...err.written], []);
});
