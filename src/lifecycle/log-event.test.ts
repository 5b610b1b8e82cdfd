import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCaptureLogger } from '../../test/helpers/capture-logger.js';
import { LameduckError } from '../errors/lameduck-error.js';
import type { LifecycleEvent } from './lifecycle-events.js';
import { logEvent } from './log-event.js';

const error = new LameduckError('invalid_config', 'lifecycle: LAMEDUCK_ADMIN_PORT must be …');
// One of each event, as the lifecycle emits them.
const events: LifecycleEvent[] = [
  { type: 'config-invalid', error },
  { type: 'admin-listening', host: '0.0.0.0', port: 9901 },
  { type: 'phase-changed', from: 'serving', to: 'lame-duck', previousPhaseMs: 10 },
  { type: 'participant-started', name: 'http', durationMs: 1 },
  { type: 'shutdown-started', trigger: 'SIGTERM', budgetMs: 28_000, gracePeriodSeconds: 30 },
  { type: 'trigger-joined', trigger: 'SIGTERM', phase: 'draining' },
  { type: 'prestop-refused', remoteAddress: '10.0.0.9' },
  { type: 'prestop-refusals-counted', refusedCount: 5, addressCount: 2, intervalMs: 10_000 },
  {
    type: 'lame-duck-started',
    minWaitMs: 2000,
    maxWaitMs: 14_000,
    quietPeriodMs: 500,
    arrivalsPerSecond: 0,
  },
  {
    type: 'lame-duck-ended',
    reason: 'quiet',
    waitedMs: 2000,
    quietPeriodMs: 500,
    arrivalsPerSecond: 0,
  },
  { type: 'connections-nudged', afterMs: 2000 },
  {
    type: 'participant-stopped',
    name: 'http',
    durationMs: 3,
    forced: false,
    forcedWork: [],
    cutShort: [],
  },
  { type: 'participant-failed', name: 'db', step: 'stop', error },
  { type: 'uncaught-error', error },
  { type: 'stopped', exitCode: 1, shutdownMs: 2100, forced: ['http: GET /'] },
  { type: 'forced-exit', reason: 'second-signal', signal: 'SIGTERM' },
  { type: 'exit-deferred', reason: 'prestop', maxWaitMs: 25_000 },
];

test('every event is one line whose msg is a sentence, not its id; the id is in `event`', () => {
  const logger = createCaptureLogger();
  for (const event of events) logEvent(logger, event);
  assert.equal(logger.records.length, events.length);
  for (const [index, record] of logger.records.entries()) {
    const type = events[index]?.type;
    assert.equal(record.event, type);
    assert.notEqual(record.msg, type);
    assert.ok(record.msg.split(' ').length >= 4, `${type}: '${record.msg}'`);
  }
});

test('a failure’s msg carries its reason; an exit code 1 says where to look', () => {
  const logger = createCaptureLogger();
  for (const event of events) logEvent(logger, event);
  const byEvent = (type: string) => logger.records.find((r) => r.event === type);
  assert.equal(
    byEvent('config-invalid')?.msg,
    'lameduck refuses to start: lifecycle: LAMEDUCK_ADMIN_PORT must be …',
  );
  assert.equal(byEvent('config-invalid')?.level, 'error');
  assert.match(byEvent('uncaught-error')?.msg ?? '', /exit code will be 1: lifecycle: LAMEDUCK/);
  assert.match(
    byEvent('stopped')?.msg ?? '',
    /exit code 1: work was forced or a participant failed/,
  );
  assert.equal(byEvent('stopped')?.level, 'warn');
});
