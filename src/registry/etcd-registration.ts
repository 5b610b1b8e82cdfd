import { hostname } from 'node:os';
import type { Etcd3, Lease } from 'etcd3';
import { LameduckError } from '../errors/lameduck-error.js';
import type {
  Advertiser,
  LameDuckAware,
  Participant,
  ReadinessGate,
  ServingAware,
} from '../lifecycle/participant.js';
import { createJsonLogger, type Logger } from '../log/logger.js';
import { assertKnownOptions } from '../options/option-check.js';
import { timerDelayLimitSeconds, timerDelayProblem } from '../options/timer-delay.js';
import { checkWholeNumber } from '../options/whole-number.js';
import {
  boundEtcdCall,
  type EtcdConnection,
  etcdConnectionOptionNames,
  etcdFailureReason,
  prepareEtcdClient,
} from './etcd-client.js';
import {
  parseHostPort,
  type RegistryFormat,
  type RegistryMetadata,
  registryCodec,
  registryFormats,
} from './formats.js';
import { createRegistrationLog } from './registration-log.js';
import { createRetrySchedule } from './retry-schedule.js';

/** Options of {@link etcdRegistration}. */
export interface EtcdRegistrationOptions {
  /** Names the participant in logs. Default: `'etcd-registration'`. */
  name: string;
  /** The service name callers resolve (the key prefix). Required. */
  service: string;
  /**
   * This instance's `host:port`, or a function giving it once the servers listen (a port bound
   * at start, `() => \`${podIp}:${grpcDrain.port}\``). Required.
   */
  address: string | (() => string);
  /**
   * Metadata written with the address, in a shape the format's Go readers survive: a string,
   * number or boolean for `'etcd-naming'` (grpc-go callers panic on an object or array there);
   * an object of strings for `'kratos'`; none for `'go-zero'`. Other shapes are refused with
   * `invalid_config`. Default: none.
   */
  metadata: RegistryMetadata | undefined;
  /** The key/value format. Default: `'etcd-naming'`. */
  format: RegistryFormat;
  /**
   * The lease's TTL: how long a dead instance stays registered. Default: 10.
   *
   * Keep it above etcd's leader failover, during which no keepalive is answered: measured here
   * with etcd 3.4 and a 1 s `--election-timeout`, 2.9 s (Go client) to 3.9 s (etcd3) without a
   * reply. A shorter TTL turns every election into a registration loss (and a new lease).
   */
  leaseTtlSeconds: number;
  /** The instance id (kratos keys). Default: `<hostname>-<address>`. */
  instanceId: string | undefined;
  /** Bound on every etcd call: an unreachable etcd never blocks start-up or shutdown. Default: 1000. */
  callTimeoutMs: number;
  /**
   * The pause after a failed registration attempt; it doubles at each failure in a row, up to
   * `maxRetryDelayMs` (each pause ±20 %, so that pods that failed together retry apart).
   * Default: 250.
   */
  retryDelayMs: number;
  /**
   * The longest pause between registration attempts: once etcd answers again, the instance is
   * registered within about this long (±20 %), and is not ready until then; so the cap is short,
   * and the log, not the pause, is what keeps a long outage quiet. Default: 1000.
   */
  maxRetryDelayMs: number;
  /** Where registration events go. Default: JSON lines on stdout. */
  logger: Logger;
}

/** Defaults of {@link EtcdRegistrationOptions}. */
export const etcdRegistrationDefaults = {
  name: 'etcd-registration',
  metadata: undefined,
  format: 'etcd-naming',
  leaseTtlSeconds: 10,
  instanceId: undefined,
  callTimeoutMs: 1000,
  retryDelayMs: 250,
  maxRetryDelayMs: 1000,
} satisfies Partial<EtcdRegistrationOptions>;

/** The participant {@link etcdRegistration} returns. */
export type EtcdRegistrationParticipant = Participant &
  Advertiser &
  ServingAware &
  LameDuckAware &
  ReadinessGate & {
    /** The key written in etcd while registered, else `undefined`. */
    readonly registeredKey: string | undefined;
    /** Resolves when the instance is (again) registered. */
    whenRegistered(): Promise<void>;
  };

function validate(options: EtcdRegistrationOptions): void {
  const problems: string[] = [];
  if (typeof options.service !== 'string' || options.service.length === 0) {
    problems.push('service must be a non-empty name');
  }
  if (!registryFormats.includes(options.format)) {
    problems.push(`format must be one of ${registryFormats.join(', ')}, got '${options.format}'`);
  } else {
    const metadata = registryCodec(options.format).checkMetadata(options.metadata);
    if (!metadata.ok) problems.push(metadata.error.rawMessage);
  }
  // The loss timer waits a whole TTL: it must fit in a Node timer.
  const ttl = checkWholeNumber('leaseTtlSeconds', options.leaseTtlSeconds, {
    minimum: 2,
    ...timerDelayLimitSeconds,
  });
  if (!ttl.ok) problems.push(ttl.error);
  for (const key of ['callTimeoutMs', 'retryDelayMs', 'maxRetryDelayMs'] as const) {
    const problem = timerDelayProblem(key, options[key], 1);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new LameduckError('invalid_config', `etcd registration: ${problems.join('; ')}`);
  }
}

/**
 * Registers this instance in etcd while it serves, as a lifecycle participant.
 *
 * - Registers when the lifecycle enters serving (every server listens), under a lease of
 *   `leaseTtlSeconds` kept alive by the client; `/readyz` stays 503 until the key is written.
 * - A lease that has had no successful keepalive for one TTL is counted lost (etcd3 itself says
 *   so only after two): the instance logs it, reports not ready, and registers again under a new
 *   lease as soon as etcd answers.
 * - Lame duck: the lease is revoked first thing, so callers drop the instance; the revoke is
 *   bounded by `callTimeoutMs`, and when etcd does not answer the lease expires by itself.
 */
export function etcdRegistration(
  options: Partial<EtcdRegistrationOptions> &
    Pick<EtcdRegistrationOptions, 'service' | 'address'> &
    EtcdConnection,
): EtcdRegistrationParticipant {
  assertKnownOptions('etcd registration', options, [
    ...Object.keys(etcdRegistrationDefaults),
    'service',
    'address',
    'logger',
    ...etcdConnectionOptionNames,
  ]);
  const config: EtcdRegistrationOptions = {
    ...etcdRegistrationDefaults,
    logger: options.logger ?? createJsonLogger(),
    ...options,
  } as EtcdRegistrationOptions;
  validate(config);
  const { name, service, format, leaseTtlSeconds, callTimeoutMs, logger } = config;
  const codec = registryCodec(format);
  const connection = prepareEtcdClient(options);
  let client: Etcd3 | undefined;
  const ttlMs = leaseTtlSeconds * 1000;

  let state: 'idle' | 'registering' | 'registered' | 'leaving' = 'idle';
  let lease: Lease | undefined;
  // A lease counted lost may still live in etcd (a leader election extends every lease), and
  // with it a key (go-zero's key names the lease): revoked once the new key is written.
  let strandedLease: Lease | undefined;
  let registeredKey: string | undefined;
  let lossTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let registeredWaiters: Array<() => void> = [];

  const addressNow = (): string => {
    const address = typeof config.address === 'function' ? config.address() : config.address;
    const checked = parseHostPort(address);
    if (!checked.ok) throw checked.error;
    // Callers dial the address as written: a wildcard would send them to themselves.
    if (['0.0.0.0', '::'].includes(checked.value.host)) {
      throw new LameduckError(
        'invalid_config',
        `etcd registration: address '${address}' is a wildcard; register the address callers dial (the pod IP)`,
      );
    }
    return address;
  };
  const retries = createRetrySchedule({
    initialDelayMs: config.retryDelayMs,
    maxDelayMs: config.maxRetryDelayMs,
  });
  const log = createRegistrationLog(logger, { name, service, format });

  const dropLease = (current: Lease): void => {
    clearTimeout(lossTimer);
    current.removeAllListeners();
    current.on('lost', () => {});
    current.release();
  };

  const scheduleAttempt = (delayMs: number): void => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void attempt(), delayMs);
  };

  const revokeQuietly = (stale: Lease | undefined): Promise<void> =>
    stale === undefined
      ? Promise.resolve()
      : boundEtcdCall((call) => stale.revoke(call), callTimeoutMs, 'lease revoke').then(
          () => undefined,
          () => undefined,
        );

  const onLost = (current: Lease, reason: string): void => {
    // A lease can be reported lost twice (our timer, then etcd3's event): act on the first.
    if (lease !== current || state !== 'registered') return;
    lease = undefined;
    registeredKey = undefined;
    state = 'registering';
    dropLease(current);
    // An older stranded lease no longer holds this instance's current key: let it go now.
    void revokeQuietly(strandedLease);
    strandedLease = current;
    log.lost(reason);
    scheduleAttempt(0);
  };

  const armLossTimer = (current: Lease): void => {
    clearTimeout(lossTimer);
    lossTimer = setTimeout(
      () => onLost(current, `no successful keepalive for ${leaseTtlSeconds} s`),
      ttlMs,
    );
  };

  const attempt = async (): Promise<void> => {
    if (state !== 'registering' || client === undefined) return;
    // The grant starts here, under its own deadline; keepalives carry none.
    const current = client.lease(leaseTtlSeconds, {
      autoKeepAlive: true,
      deadline: Date.now() + callTimeoutMs,
    });
    current.on('lost', (error) => onLost(current, error.message));
    try {
      const address = addressNow();
      const leaseId = await boundEtcdCall(() => current.grant(), callTimeoutMs, 'lease grant');
      const record = codec.encode(
        service,
        { address, metadata: config.metadata },
        { leaseId, id: config.instanceId ?? `${hostname()}-${address}` },
      );
      await boundEtcdCall(
        (call) => current.put(record.key).value(record.value).options(call),
        callTimeoutMs,
        'put',
      );
      if (state !== 'registering') {
        // Lame duck began meanwhile: take the key back at once.
        await revokeQuietly(current);
        dropLease(current);
        return;
      }
      lease = current;
      registeredKey = record.key;
      state = 'registered';
      current.on('keepaliveSucceeded', () => armLossTimer(current));
      armLossTimer(current);
      const recovered = retries.succeeded();
      log.registered(address, { key: record.key, leaseId, leaseTtlSeconds }, recovered);
      void revokeQuietly(strandedLease);
      strandedLease = undefined;
      const waiters = registeredWaiters;
      registeredWaiters = [];
      for (const resolve of waiters) resolve();
    } catch (error) {
      dropLease(current);
      if (state !== 'registering') return;
      const retry = retries.failed({
        attempt: `register '${service}' in etcd`,
        reason: etcdFailureReason(error),
        meanwhile: '/readyz stays 503',
      });
      log.failed(error, retry);
      scheduleAttempt(retry.delayMs);
    }
  };

  return {
    name,
    // Watchers hear of the revoke late: the lame-duck wait is kept even for a Ctrl-C.
    advertisedIn: `etcd service '${service}'`,
    get ready() {
      return state === 'registered';
    },
    get registeredKey() {
      return registeredKey;
    },
    whenRegistered() {
      if (state === 'registered') return Promise.resolve();
      return new Promise<void>((resolve) => registeredWaiters.push(resolve));
    },
    start() {
      client ??= connection.create();
      // Fails the start on a bad address now rather than on every attempt later.
      if (typeof config.address === 'string') addressNow();
    },
    enterServing() {
      state = 'registering';
      void attempt();
    },
    lameDuckWorkLimit: { ms: callTimeoutMs, option: 'callTimeoutMs' },
    async enterLameDuck() {
      const current = lease;
      const stranded = strandedLease;
      state = 'leaving';
      clearTimeout(retryTimer);
      lease = undefined;
      strandedLease = undefined;
      registeredKey = undefined;
      if (current === undefined) {
        await revokeQuietly(stranded);
        return;
      }
      clearTimeout(lossTimer);
      try {
        await Promise.all([
          boundEtcdCall((call) => current.revoke(call), callTimeoutMs, 'lease revoke'),
          revokeQuietly(stranded),
        ]);
        log.deregistered();
      } catch (error) {
        log.deregistrationFailed(error, leaseTtlSeconds);
      } finally {
        dropLease(current);
      }
    },
    async stop() {
      state = 'leaving';
      clearTimeout(retryTimer);
      clearTimeout(lossTimer);
      if (lease !== undefined) dropLease(lease);
      if (connection.owned) client?.close();
      return undefined;
    },
  };
}
