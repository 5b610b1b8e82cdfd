import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { TrafficSnapshot } from '../drain/traffic-meter.js';
import { LameduckError } from '../errors/lameduck-error.js';
import type { Logger } from '../log/logger.js';
import { createLifecycle } from './lifecycle.js';
import type { LifecycleEvent } from './lifecycle-events.js';
import type { Participant, StopOutcome } from './participant.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Lets promise chains run between fake-clock steps.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: Parameters<typeof createLifecycle>[0] = {}) {
  const clock = createFakeClock();
  const life = createLifecycle({
    gracePeriodSeconds: 10,
    safetyMarginMs: 1000,
    minLameDuckMs: 1000,
    maxLameDuckMs: 4000,
    quietFloorMs: 500,
    admin: false,
    logger: silent,
    clock,
    ...options,
  });
  const events: LifecycleEvent[] = [];
  life.on((e) => events.push(e));
  return { clock, life, events };
}

function recorder(log: string[], name: string, behaviour: Partial<Participant> = {}): Participant {
  return {
    name,
    start: () => {
      log.push(`start ${name}`);
    },
    stop: () => {
      log.push(`stop ${name}`);
      return undefined;
    },
    ...behaviour,
  };
}

function fakeTraffic(clock: { now(): number }, ratePerSecond: number) {
  const source = {
    lastArrivalAtMs: undefined as number | undefined,
    inFlight: 0,
    totalArrivals: 0,
    arrivalsPerSecond: () => ratePerSecond,
    arrive() {
      source.lastArrivalAtMs = clock.now();
    },
  };
  return source satisfies TrafficSnapshot;
}

describe('lifecycle', () => {
  test('shutdown() before start() rejects with invalid_state', async () => {
    const { life } = setup();
    await assert.rejects(life.shutdown(), (e: LameduckError) => e.code === 'invalid_state');
  });

  test('add() after start() throws invalid_state naming the phase', async () => {
    const { life } = setup();
    await life.start();
    assert.throws(
      () => life.add(recorder([], 'late')),
      /add\(\) called after start\(\) \(phase serving\)/,
    );
  });

  test('start() refuses a shortest lame-duck wait that lame-duck work may outlast', async () => {
    const log: string[] = [];
    const deregistration = (ms: number) =>
      recorder(log, 'etcd', {
        enterLameDuck: () => {},
        lameDuckWorkLimit: { ms, option: 'callTimeoutMs' },
      } as Partial<Participant>);
    const refused = setup({ minLameDuckMs: 1000 }).life.add(deregistration(1000));
    await assert.rejects(refused.start(), (e: LameduckError) => {
      assert.equal(e.code, 'invalid_config');
      assert.match(e.message, /lifecycle: minLameDuckMs: 1000 is not above participant/);
      assert.match(e.message, /'etcd's callTimeoutMs of 1000 ms/);
      return true;
    });
    assert.equal(refused.phase.kind, 'created');
    assert.deepEqual(log, [], 'nothing started');
    const accepted = setup({ minLameDuckMs: 1000 }).life.add(deregistration(999));
    await accepted.start();
    assert.equal(accepted.phase.kind, 'serving');
  });

  test('add() refuses a second participant with the same name', () => {
    const { life } = setup();
    life.add(recorder([], 'grpc'));
    assert.throws(
      () => life.add(recorder([], 'grpc')),
      (e: LameduckError) =>
        e.code === 'invalid_config' && /participant named 'grpc' was already added/.test(e.message),
    );
  });

  test('enterServing() reaches started participants once the lifecycle serves', async () => {
    const { life } = setup();
    const log: string[] = [];
    life.add(
      recorder(log, 'health', {
        enterServing: () => log.push(`serving, phase ${life.phase.kind}`),
      } as Partial<Participant>),
    );
    await life.start();
    assert.deepEqual(log, ['start health', 'serving, phase serving']);
  });

  test('a participant whose metrics cannot register fails its start', async () => {
    const { life } = setup();
    const log: string[] = [];
    life.add(recorder(log, 'db'));
    life.add(
      recorder(log, 'grpc', {
        registerMetrics: () => {
          throw new Error('metric already registered');
        },
      } as Partial<Participant>),
    );
    await assert.rejects(
      life.start(),
      /participant 'grpc' failed to start: metric already registered/,
    );
    assert.deepEqual(log, ['start db', 'stop db']);
  });

  test('stop() runs in reverse and continues after a failure', async () => {
    const { life, clock } = setup();
    const log: string[] = [];
    life.add(recorder(log, 'db'));
    life.add(
      recorder(log, 'broken', {
        stop: () => {
          log.push('stop broken');
          throw new Error('boom');
        },
      }),
    );
    life.add(recorder(log, 'server'));
    await life.start();
    const result = life.shutdown();
    await settle();
    clock.advance(1000);
    const { exitCode, errors } = await result;
    assert.deepEqual(log, [
      'start db',
      'start broken',
      'start server',
      'stop server',
      'stop broken',
      'stop db',
    ]);
    assert.equal(exitCode, 1);
    assert.equal(errors[0]?.code, 'participant_failed');
    assert.match(errors[0]?.message ?? '', /participant 'broken' failed to stop: boom/);
  });

  test('participants written as users write them (stop() {}, async stop() with no return) stop unforced', async () => {
    // Issue 15, item 1: these were TS2322 errors (Promise<void> is not Promise<StopOutcome>);
    // `npx tsc` checks this file, so the literals below are the type test.
    const { life, clock, events } = setup();
    const closed: string[] = [];
    const pool = { end: async () => void closed.push('pool') };
    life.add({ name: 'consumer', start() {}, stop() {} });
    life.add({
      name: 'pool',
      start() {},
      async stop() {
        await pool.end();
      },
    });
    await life.start();
    const result = life.shutdown();
    await settle();
    clock.advance(1000);
    assert.equal((await result).exitCode, 0);
    assert.deepEqual(closed, ['pool']);
    const stopped = events.filter((e) => e.type === 'participant-stopped');
    assert.deepEqual(
      stopped.map((e) => e.type === 'participant-stopped' && [e.name, e.forced]),
      [
        ['pool', false],
        ['consumer', false],
      ],
    );
  });

  test('readiness turns false at the trigger; the wait ends at the minimum without traffic', async () => {
    const { life, clock, events } = setup();
    const log: string[] = [];
    life.add({
      ...recorder(log, 'server'),
      nudge: () => log.push(`nudge at ${clock.now()}`),
    } as Participant);
    await life.start();
    assert.equal(life.ready, true);
    const startMs = clock.now();
    const result = life.shutdown('SIGTERM');
    assert.equal(life.ready, false);
    assert.equal(life.phase.kind, 'lame-duck');
    clock.advance(999);
    await settle();
    assert.equal(life.phase.kind, 'lame-duck');
    clock.advance(1);
    const { exitCode, shutdownMs } = await result;
    assert.equal(exitCode, 0);
    assert.equal(shutdownMs, 1000);
    assert.deepEqual(log, ['start server', `nudge at ${startMs + 1000}`, 'stop server']);
    const ended = events.find((e) => e.type === 'lame-duck-ended');
    assert.deepEqual(ended, {
      type: 'lame-duck-ended',
      reason: 'quiet',
      waitedMs: 1000,
      quietPeriodMs: 500,
      arrivalsPerSecond: 0,
    });
  });

  test('the wait ends a quiet period after the last arrival', async () => {
    const { life, clock, events } = setup();
    const traffic = fakeTraffic(clock, 100);
    life.add({ ...recorder([], 'server'), traffic } as Participant);
    await life.start();
    const result = life.shutdown();
    clock.advance(900);
    traffic.arrive(); // a late caller, at 900 ms: quiet from 1400 ms
    clock.advance(499);
    await settle();
    assert.equal(life.phase.kind, 'lame-duck');
    clock.advance(1);
    await result;
    const ended = events.find((e) => e.type === 'lame-duck-ended');
    assert.equal(ended?.type === 'lame-duck-ended' && ended.waitedMs, 1400);
  });

  test('the wait ends at the maximum while traffic keeps arriving', async () => {
    const { life, clock, events } = setup();
    const traffic = fakeTraffic(clock, 100);
    life.add({ ...recorder([], 'server'), traffic } as Participant);
    await life.start();
    const result = life.shutdown();
    for (let t = 0; t < 4000; t += 100) {
      traffic.arrive();
      clock.advance(100);
    }
    await result;
    const ended = events.find((e) => e.type === 'lame-duck-ended');
    assert.equal(ended?.type === 'lame-duck-ended' && ended.reason, 'max-wait');
    assert.equal(ended?.type === 'lame-duck-ended' && ended.waitedMs, 4000);
  });

  test('a second shutdown() joins the first and returns the same result', async () => {
    const { life, clock } = setup();
    await life.start();
    const first = life.shutdown('prestop');
    const second = life.shutdown('SIGTERM');
    clock.advance(1000);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(a.trigger, 'prestop');
  });

  test('lameDuckOver() resolves when the wait is over, before the drain ends', async () => {
    const { life, clock } = setup();
    let releaseStop: (outcome: StopOutcome) => void = () => {};
    life.add({
      name: 'slow',
      start() {},
      stop: () => new Promise<StopOutcome>((resolve) => (releaseStop = resolve)),
    });
    await life.start();
    const over = life.lameDuckOver();
    clock.advance(1000);
    await over;
    assert.equal(life.phase.kind, 'draining');
    releaseStop({ forced: false });
    assert.equal((await life.done).exitCode, 0);
  });

  test('at the deadline, forced work is reported and a participant ignoring it is cut loose', async () => {
    const { life, clock } = setup();
    life.add({
      name: 'ignores-deadline',
      start() {},
      stop: () => new Promise<StopOutcome>(() => {}),
    });
    life.add({
      name: 'server',
      start() {},
      stop: (signal) =>
        new Promise<StopOutcome>((resolve) =>
          signal.addEventListener('abort', () =>
            resolve({ forced: true, forcedWork: ['GET /report in flight for 8000 ms'] }),
          ),
        ),
    });
    await life.start();
    const result = life.shutdown();
    clock.advance(1000); // the lame-duck wait
    await settle();
    clock.advance(8000); // the rest of the budget: 10 s grace - 1 s margin
    await settle();
    clock.advance(500); // half the margin for forced closes
    const { exitCode, forced, errors } = await result;
    assert.equal(exitCode, 1);
    assert.deepEqual(forced, ['server: GET /report in flight for 8000 ms']);
    assert.equal(errors[0]?.code, 'participant_failed');
    assert.match(errors[0]?.message ?? '', /did not stop within 500 ms after the budget ended/);
  });

  test('a shutdown during start-up skips lame duck and stops only what started', async () => {
    const { life, clock } = setup();
    const log: string[] = [];
    life.add(recorder(log, 'db'));
    life.add({
      name: 'stuck',
      start: (signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        ),
      stop: () => {
        log.push('stop stuck');
        return undefined;
      },
    });
    const starting = life.start();
    await settle();
    const result = await life.shutdown('SIGTERM');
    await starting;
    assert.equal(result.exitCode, 0);
    assert.deepEqual(log, ['start db', 'stop db']);
    assert.equal(life.phase.kind, 'stopped');
    assert.equal(clock.pendingTimers(), 0);
  });

  test('a failed start stops the started participants and rejects with participant_failed', async () => {
    const { life } = setup();
    const log: string[] = [];
    life.add(recorder(log, 'db'));
    life.add(
      recorder(log, 'server', {
        start: () => {
          throw new Error('EADDRINUSE');
        },
      }),
    );
    await assert.rejects(life.start(), (e: LameduckError) => {
      assert.equal(e.code, 'participant_failed');
      assert.match(e.message, /participant 'server' failed to start: EADDRINUSE/);
      return true;
    });
    assert.deepEqual(log, ['start db', 'stop db']);
    assert.equal((await life.done).trigger, 'start-failed');
  });

  test('participants that ignore the deadline share one forced deadline', async () => {
    const { life, clock } = setup();
    for (const name of ['a', 'b', 'c']) {
      life.add({ name, start() {}, stop: () => new Promise<StopOutcome>(() => {}) });
    }
    await life.start();
    const result = life.shutdown();
    clock.advance(1000); // the lame-duck wait
    await settle();
    clock.advance(8000); // the rest of the budget
    await settle();
    clock.advance(500); // half the margin, once for all three
    for (let i = 0; i < 3; i++) {
      await settle();
      clock.advance(0); // the later ones are already late
    }
    const { errors, shutdownMs } = await result;
    assert.equal(errors.length, 3);
    assert.equal(shutdownMs, 9500);
  });

  test('a throwing listener or logger does not break the shutdown', async () => {
    const throwing: Logger = {
      debug() {},
      info() {
        throw new Error('log pipe closed');
      },
      warn() {},
      error() {},
    };
    const { life, clock } = setup({ logger: throwing });
    life.on(() => {
      throw new Error('listener bug');
    });
    const log: string[] = [];
    life.add(recorder(log, 'server'));
    await life.start();
    const result = life.shutdown();
    clock.advance(1000);
    assert.equal((await result).exitCode, 0);
    assert.deepEqual(log, ['start server', 'stop server']);
  });

  test('lame-duck work still pending when the wait ends is reported and does not hold the drain', async () => {
    const { life, clock } = setup();
    const log: string[] = [];
    life.add({
      ...recorder(log, 'registry'),
      enterLameDuck: () => new Promise<void>(() => {}),
    } as Participant);
    await life.start();
    const result = life.shutdown();
    clock.advance(1000);
    await settle();
    clock.advance(0);
    const { exitCode, errors } = await result;
    assert.equal(exitCode, 1);
    assert.match(
      errors[0]?.message ?? '',
      /'registry' failed to enter lame duck: lifecycle: still entering lame duck when the wait ended/,
    );
    assert.deepEqual(log, ['start registry', 'stop registry']);
  });

  test('with no minimum wait, every participant is in lame duck before any is nudged', async () => {
    const { life, clock } = setup({ minLameDuckMs: 0 });
    const log: string[] = [];
    life.add({
      ...recorder(log, 'server'),
      enterLameDuck: () => {
        log.push('lame duck');
      },
      nudge: () => log.push('nudge'),
    } as Participant);
    await life.start();
    const result = life.shutdown();
    clock.advance(500);
    await result;
    assert.deepEqual(log, ['start server', 'lame duck', 'nudge', 'stop server']);
  });

  test('a start that ignores the shutdown is given up at the forced deadline', async () => {
    const { life, clock } = setup();
    life.add({ name: 'deaf', start: () => new Promise<void>(() => {}), stop: () => undefined });
    void life.start();
    await settle();
    const result = life.shutdown();
    clock.advance(9500);
    const { exitCode, errors } = await result;
    assert.equal(exitCode, 1);
    assert.match(errors[0]?.message ?? '', /a participant ignored the shutdown during start-up/);
  });

  test('createLifecycle rejects impossible configurations with invalid_config', () => {
    assert.throws(
      () => createLifecycle({ gracePeriodSeconds: 5, minLameDuckMs: 6000, admin: false }),
      (e: LameduckError) =>
        e.code === 'invalid_config' &&
        /minLameDuckMs: 6000 leaves no time to drain/.test(e.message),
    );
  });

  test('metrics report the phase and forced closes', async () => {
    const { life, clock } = setup();
    await life.start();
    assert.match(await life.registry.metrics(), /lameduck_phase\{phase="serving"\} 1/);
    const result = life.shutdown();
    clock.advance(1000);
    await result;
    const text = await life.registry.metrics();
    assert.match(text, /lameduck_phase\{phase="stopped"\} 1/);
    assert.match(text, /lameduck_phase_duration_seconds\{phase="lame-duck"\} 1/);
  });
});

test('LameduckError.from keeps LameduckErrors and wraps the rest', () => {
  const original = new LameduckError('unavailable', 'etcd: down');
  assert.equal(LameduckError.from(original), original);
  const wrapped = LameduckError.from(new Error('boom'), 'participant_failed');
  assert.equal(wrapped.code, 'participant_failed');
  assert.equal(wrapped.message, '[participant_failed] boom');
  assert.ok(wrapped.cause instanceof Error);
});
