import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGrpcHealth } from './health.js';

test('every service reads NOT_SERVING until the lifecycle serves, whatever was declared', () => {
  const health = createGrpcHealth();
  health.setStatus('echo.v1.Echo', 'SERVING');
  assert.equal(health.statusOf(''), 'NOT_SERVING');
  assert.equal(health.statusOf('echo.v1.Echo'), 'NOT_SERVING');
  health.setLifecycleServing(true);
  assert.equal(health.statusOf(''), 'SERVING');
  assert.equal(health.statusOf('echo.v1.Echo'), 'SERVING');
});

test('a service declared NOT_SERVING stays so while the lifecycle serves', () => {
  const health = createGrpcHealth();
  health.setLifecycleServing(true);
  health.setStatus('echo.v1.Echo', 'NOT_SERVING');
  assert.equal(health.statusOf('echo.v1.Echo'), 'NOT_SERVING');
  assert.equal(health.statusOf(''), 'SERVING');
});

test('from lame duck on, a later SERVING declaration does not reopen the gate', () => {
  const health = createGrpcHealth();
  health.setLifecycleServing(true);
  health.setLifecycleServing(false);
  health.setStatus('', 'SERVING');
  health.setStatus('echo.v1.Echo', 'SERVING');
  assert.equal(health.statusOf(''), 'NOT_SERVING');
  assert.equal(health.statusOf('echo.v1.Echo'), 'NOT_SERVING');
});

test('a service never declared is unknown', () => {
  const health = createGrpcHealth();
  health.setLifecycleServing(true);
  assert.equal(health.statusOf('no.such.Service'), undefined);
});

test('the definition has the three methods of grpc.health.v1.Health', () => {
  const { definition } = createGrpcHealth();
  assert.deepEqual(
    Object.values(definition).map((m) => [m.path, m.responseStream]),
    [
      ['/grpc.health.v1.Health/Check', false],
      ['/grpc.health.v1.Health/List', false],
      ['/grpc.health.v1.Health/Watch', true],
    ],
  );
});
