/**
 * Every factory refuses an option it does not know, naming the closest known one: in JavaScript
 * a typo would otherwise be ignored and the default silently used (issue 15, item 15). The check
 * comes first, so nothing is bound, connected or installed.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Server } from '@grpc/grpc-js';
import { drainGrpcServer } from '../../src/grpc/index.js';
import { drainHttpServer } from '../../src/http/index.js';
import { createJsonLogger, createLifecycle, type LameduckError } from '../../src/index.js';
import { etcdDiscovery, etcdRegistration, registerEtcdResolver } from '../../src/registry/index.js';

// Each call as JavaScript would make it, with one misspelled option.
const misspelled: Array<[string, () => unknown, string]> = [
  [
    'createLifecycle',
    () => createLifecycle({ gracePeriodSecond: 45 } as never),
    'lifecycle: unknown option gracePeriodSecond: did you mean gracePeriodSeconds?',
  ],
  [
    'drainHttpServer',
    () => drainHttpServer(createServer(), { nmae: 'web' } as never),
    'http: unknown option nmae: did you mean name?',
  ],
  [
    'drainGrpcServer',
    () => drainGrpcServer(new Server(), { address: '127.0.0.1:0', streamGraceMS: 1 } as never),
    'grpc: unknown option streamGraceMS: did you mean streamGraceMs?',
  ],
  [
    'etcdRegistration',
    () =>
      etcdRegistration({
        endpoints: ['http://127.0.0.1:1'],
        service: 'echo',
        address: '127.0.0.1:1',
        leaseTtl: 10,
      } as never),
    'etcd registration: unknown option leaseTtl: options are',
  ],
  [
    'etcdDiscovery',
    () =>
      etcdDiscovery({
        endpoints: ['http://127.0.0.1:1'],
        service: 'echo',
        fromat: 'kratos',
      } as never),
    'etcd discovery: unknown option fromat: did you mean format?',
  ],
  [
    'registerEtcdResolver',
    () => registerEtcdResolver({ endpoints: ['http://127.0.0.1:1'], hedgeing: true } as never),
    'grpc: etcd resolver: unknown option hedgeing: did you mean hedging?',
  ],
  [
    'createJsonLogger',
    () => createJsonLogger({ levle: 'debug' } as never),
    'logger: unknown option levle: did you mean level?',
  ],
];

for (const [factory, call, message] of misspelled) {
  test(`${factory} refuses a misspelled option with invalid_config naming the closest`, () => {
    assert.throws(call, (e: LameduckError) => {
      assert.equal(e.code, 'invalid_config');
      assert.ok(e.rawMessage.startsWith(message), e.rawMessage);
      return true;
    });
  });
}

test('run() refuses a misspelled option before it sets anything up', async () => {
  const before = process.listenerCount('SIGTERM');
  const life = createLifecycle({ admin: false });
  await assert.rejects(life.run({ exitprocess: false } as never), (e: LameduckError) => {
    assert.equal(e.code, 'invalid_config');
    assert.equal(
      e.rawMessage,
      'lifecycle: run(): unknown option exitprocess: did you mean exitProcess?',
    );
    return true;
  });
  assert.equal(process.listenerCount('SIGTERM'), before);
  assert.equal(life.phase.kind, 'created');
});
