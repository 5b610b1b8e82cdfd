import type { CallOptions } from '@grpc/grpc-js';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import {
  Etcd3,
  GRPCDeadlineExceededError,
  GRPCResourceExhastedError,
  type IOptions,
  isRecoverableError,
} from 'etcd3';
import { LameduckError } from '../errors/lameduck-error.js';

/** How to reach etcd: a client of yours, or endpoints (and credentials) for one of ours. */
export type EtcdConnection =
  | { client: Etcd3 }
  | {
      /** Client URLs, e.g. `['http://etcd-0.etcd:2379']`. */
      endpoints: string[];
      /** Username/password auth. Never logged. */
      auth?: { username: string; password: string };
      /** TLS: the CA, and a client certificate for mutual TLS. */
      tls?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer };
    };

// etcd3 counts RESOURCE_EXHAUSTED (a reply over the receive limit) as a fault of the member: it
// retries the same oversized read and opens the breaker, which then fails every other call too.
// A read that is too large is the reader's to split (prefix-read.ts), not a reason to skip a host.
const isMemberFault = (error: Error): boolean =>
  isRecoverableError(error) && !(error instanceof GRPCResourceExhastedError);

// A member that fails three calls in a row is skipped this long, then tried again. etcd3's own
// default is 5 s, which would keep a registration away for 5 s after etcd came back.
const hostBreakMs = 500;
// gRPC's reconnect backoff grows to 120 s by default; etcd on loopback or in the cluster answers
// within this once it is back.
const maxReconnectBackoffMs = 1000;

/** The option names of {@link EtcdConnection}, for refusing unknown ones. */
export const etcdConnectionOptionNames = ['client', 'endpoints', 'auth', 'tls'] as const;

/** The options of an etcd3 client made for registration and discovery, checked. */
export function etcdClientOptions(
  connection: Exclude<EtcdConnection, { client: Etcd3 }>,
): IOptions {
  if (!Array.isArray(connection.endpoints) || connection.endpoints.length === 0) {
    throw new LameduckError('invalid_config', 'etcd: endpoints must list etcd URLs');
  }
  return {
    hosts: connection.endpoints,
    ...(connection.auth === undefined ? {} : { auth: connection.auth }),
    ...(connection.tls === undefined ? {} : { credentials: connection.tls }),
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': maxReconnectBackoffMs,
    },
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isMemberFault), {
          halfOpenAfter: hostBreakMs,
          breaker: new ConsecutiveBreaker(3),
        }),
      // Another member on each retry; the callers bound the whole call themselves.
      global: retry(handleWhen(isMemberFault), { maxAttempts: 2 }),
    },
  };
}

/** The caller's client, or a new one (`owned`: the caller closes it) for the endpoints. */
export function prepareEtcdClient(connection: EtcdConnection): { create(): Etcd3; owned: boolean } {
  if ('client' in connection) {
    const { client } = connection;
    return { create: () => client, owned: false };
  }
  const options = etcdClientOptions(connection);
  return { create: () => new Etcd3(options), owned: true };
}

/**
 * Runs one etcd call under a gRPC deadline `timeoutMs` from now, and rejects with `unavailable`
 * naming `what` when it passes. The deadline cancels the call on the wire (RST_STREAM), so a call
 * given up on is not left running: a put or grant that landed late would leave a key or a lease
 * nobody holds. etcd3 documents a dial timeout it does not use, so every call is bounded here; the
 * timer is a backstop for a call the library keeps queued past its deadline.
 */
export function boundEtcdCall<T>(
  call: (options: CallOptions) => PromiseLike<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const expired = () => new LameduckError('unavailable', `etcd: ${what} took over ${timeoutMs} ms`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(expired()), timeoutMs);
  });
  const work = Promise.resolve()
    .then(() => call({ deadline: Date.now() + timeoutMs }))
    .catch((error: unknown) => {
      throw isDeadlineExceeded(error) ? expired() : error;
    });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function isDeadlineExceeded(error: unknown): boolean {
  return (
    error instanceof GRPCDeadlineExceededError ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 4)
  );
}

/**
 * Why an etcd call failed, for the log; `undefined` for an open circuit breaker, which only
 * echoes the failures that opened it (their reason is the one worth reading).
 */
export function etcdFailureReason(error: unknown): string | undefined {
  if ((error as { isBrokenCircuitError?: unknown } | null)?.isBrokenCircuitError === true) {
    return undefined;
  }
  return LameduckError.from(error).rawMessage;
}
