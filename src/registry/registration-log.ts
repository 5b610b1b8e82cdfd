/**
 * What the etcd registration tells the log, each line a sentence that says what happened and what
 * it means for the instance (ready or not, found by callers or not). Failed attempts are logged
 * as their {@link RetryDecision} says: the first with its reason, then a count per interval.
 */
import { LameduckError } from '../errors/lameduck-error.js';
import type { Logger } from '../log/logger.js';
import type { RetryDecision, RetrySchedule } from './retry-schedule.js';

/** The registration's log. */
export interface RegistrationLog {
  registered(
    address: string,
    fields: Record<string, unknown>,
    recovered: ReturnType<RetrySchedule['succeeded']>,
  ): void;
  failed(error: unknown, retry: RetryDecision): void;
  lost(reason: string): void;
  deregistered(): void;
  deregistrationFailed(error: unknown, expiresWithinSeconds: number): void;
}

/** Makes the log of registration `name` of `service`; see {@link RegistrationLog}. */
export function createRegistrationLog(
  logger: Logger,
  context: { name: string; service: string; format: string },
): RegistrationLog {
  const { name, service, format } = context;
  const log = (
    level: 'debug' | 'info' | 'warn',
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ) => logger[level]({ event, participant: name, service, format, ...fields }, message);
  return {
    registered(address, fields, recovered) {
      const { text = '', ...counts } = recovered ?? {};
      log(
        'info',
        'registered',
        `registered '${service}' in etcd: callers find this instance at ${address}${text}`,
        { ...fields, ...counts },
      );
    },
    failed(error, retry) {
      log(retry.level, 'registration-failed', retry.message, {
        error: LameduckError.from(error).message,
        ...retry.fields,
      });
    },
    lost(reason) {
      log(
        'warn',
        'registration-lost',
        `lost the registration of '${service}' in etcd (${reason}): not ready until it is registered again under a new lease`,
        { reason },
      );
    },
    deregistered() {
      log(
        'info',
        'deregistered',
        `deregistered '${service}' from etcd: callers stop finding this instance as their watches hear of it`,
      );
    },
    deregistrationFailed(error, expiresWithinSeconds) {
      const failure = LameduckError.from(error);
      log(
        'warn',
        'deregistration-failed',
        `could not deregister '${service}' from etcd (${failure.rawMessage}): its key expires with its lease within ${expiresWithinSeconds} s, and callers may reach this instance until then`,
        { error: failure.message, expiresWithinSeconds },
      );
    },
  };
}
