import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Server } from '@grpc/grpc-js';
import { TEST_SHORT_TIMEOUT_MS } from '../../test/helpers/timeouts.js';
import { createPrestopCommand } from '../cli/prestop-command.js';
import { type RequestOutcome, startOpenLoop } from '../drill/runtime/open-loop.js';
import type { LameduckError } from '../errors/lameduck-error.js';
import { startLocalEtcd } from '../etcd/local-etcd.js';
import { drainGrpcServer } from '../grpc/server-drain.js';
import { etcdDiscovery } from '../registry/etcd-discovery.js';
import { etcdRegistration } from '../registry/etcd-registration.js';
import { maxTimerDelayMs, timerDelayProblem } from './timer-delay.js';

// 1 ms more than a Node timer holds: such a timer fires after 1 ms instead (issue 12, item 6).
const tooLongMs = 2 ** 31;
const limitText = 'the longest a timer holds is 2^31 - 1 ms, about 24.8 days';

test('the limit is 2^31 - 1 ms; a delay problem names the setting, the range and why', () => {
  assert.equal(maxTimerDelayMs, 2_147_483_647);
  assert.equal(timerDelayProblem('waitMs', maxTimerDelayMs, 0), undefined);
  assert.equal(timerDelayProblem('waitMs', 0, 0), undefined);
  for (const bad of [tooLongMs, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.equal(
      timerDelayProblem('waitMs', bad, 0),
      `waitMs must be a number of milliseconds from 0 to 2147483647 (${limitText}), got ${bad}`,
    );
  }
  // From JavaScript a string may come where a number belongs: it is named as one.
  assert.equal(
    timerDelayProblem('waitMs', '100', 0),
    `waitMs must be a number of milliseconds from 0 to 2147483647 (${limitText}), got a string '100'`,
  );
});

test('every delay option given in code is refused past what a timer holds', async () => {
  const etcd = { endpoints: ['http://127.0.0.1:1'] };
  const registration = { service: 'echo', address: '127.0.0.1:1', ...etcd };
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'grpc streamGraceMs',
      () => drainGrpcServer(new Server(), { address: '127.0.0.1:0', streamGraceMs: tooLongMs }),
      /^\[invalid_config\] grpc: streamGraceMs must be a number of milliseconds from 0 to 2147483647 /,
    ],
    [
      'registration callTimeoutMs',
      () => etcdRegistration({ ...registration, callTimeoutMs: tooLongMs }),
      /etcd registration: callTimeoutMs must be a number of milliseconds from 1 to 2147483647 /,
    ],
    [
      'registration retryDelayMs',
      () => etcdRegistration({ ...registration, retryDelayMs: tooLongMs }),
      /etcd registration: retryDelayMs must be a number of milliseconds from 1 to 2147483647 /,
    ],
    [
      'registration leaseTtlSeconds',
      () => etcdRegistration({ ...registration, leaseTtlSeconds: 2_147_484 }),
      /etcd registration: leaseTtlSeconds must be a whole number from 2 to 2147483 \(the longest a timer holds/,
    ],
    ...(['callTimeoutMs', 'retryDelayMs', 'resyncIntervalMs'] as const).map(
      (key): [string, () => unknown, RegExp] => [
        `discovery ${key}`,
        () => etcdDiscovery({ service: 'echo', ...etcd, [key]: tooLongMs }),
        new RegExp(`etcd discovery: ${key} must be a number of milliseconds from 1 to 2147483647 `),
      ],
    ),
  ];
  for (const [name, make, message] of cases) {
    assert.throws(
      make,
      (e: LameduckError) => e.code === 'invalid_config' && message.test(e.message),
      name,
    );
  }
  for (const key of ['startTimeoutMs', 'stopTimeoutMs'] as const) {
    await assert.rejects(startLocalEtcd({ [key]: tooLongMs }), (e: LameduckError) => {
      assert.equal(e.code, 'invalid_config');
      assert.match(
        e.message,
        new RegExp(`etcd: ${key} must be a whole number from 1 to 2147483647 `),
      );
      return true;
    });
  }
});

test('`lameduck prestop --timeout-seconds` is whole decimal seconds that a timer holds', async () => {
  for (const [flag, value, message] of [
    [
      '--timeout-seconds',
      '2147484',
      /must be a whole decimal number from 1 to 2147483 \(the longest a timer holds/,
    ],
    ['--timeout-seconds', '0x10', /must be a whole decimal number from 1 to 2147483/],
    ['--timeout-seconds', '2.5', /must be a whole decimal number from 1 to 2147483/],
    ['--port', '0x50', /must be a whole decimal number from 1 to 65535/],
    ['--port', '1e3', /must be a whole decimal number from 1 to 65535/],
  ] as const) {
    const command = createPrestopCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    await assert.rejects(
      command.parseAsync([flag, value], { from: 'user' }),
      message,
      `${flag} ${value}`,
    );
  }
});

test('the drill load waits for its requests however long drainWaitMs is', async () => {
  // Past the limit the wait used to end after 1 ms: the load closed its clients on the requests.
  const answers: Array<(outcome: RequestOutcome) => void> = [];
  let firstSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => {
    firstSent = resolve;
  });
  let closed = false;
  const load = startOpenLoop({
    ratePerSecond: 1000,
    send: () =>
      new Promise<RequestOutcome>((resolve) => {
        answers.push(resolve);
        firstSent();
      }),
    close: async () => {
      closed = true;
    },
    drainWaitMs: tooLongMs,
  });
  await sent;
  const stopped = load.stop();
  await new Promise((resolve) => setTimeout(resolve, TEST_SHORT_TIMEOUT_MS));
  assert.equal(closed, false, 'closed while requests were in flight');
  for (const answer of answers) answer({ ok: true, pid: '1' });
  const report = await stopped;
  assert.equal(report.succeeded, report.sent);
});
