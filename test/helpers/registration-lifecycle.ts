import type { TestContext } from 'node:test';
import { createLifecycle, type Lifecycle, type Logger } from '../../src/index.js';
import type { EtcdRegistrationParticipant } from '../../src/registry/etcd-registration.js';

/**
 * A lifecycle (no admin server, 10 s grace) holding one registration, shut down after the test.
 * Deregistration runs in the lame-duck wait, so the wait is at least its call timeout.
 */
export function registrationLifecycle(
  t: TestContext,
  registration: EtcdRegistrationParticipant,
  logger: Logger,
): Lifecycle {
  const life = createLifecycle({
    admin: false,
    logger,
    gracePeriodSeconds: 10,
    minLameDuckMs: 1500,
    maxLameDuckMs: 2000,
  }).add(registration);
  t.after(() => life.shutdown().catch(() => {}));
  return life;
}
