/**
 * The Passport service's handlers (passport.proto), the same in every mode. Session event
 * streams end with a last event when `drainSignal` fires, so that a draining server lets its
 * callers move elsewhere with an OK instead of an error.
 */
import { fileURLToPath } from 'node:url';
import {
  type GrpcObject,
  loadPackageDefinition,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { issueToken, verifyToken } from './tokens.js';

/** Where passport.proto is. */
export const passportProtoPath = fileURLToPath(new URL('./passport.proto', import.meta.url));

const definition = loadSync(passportProtoPath, { keepCase: true, longs: Number, defaults: true });
const passportPackage = (loadPackageDefinition(definition).passport as GrpcObject).v1 as GrpcObject;

/** The service definition, for `server.addService`. */
export const passportService: ServiceDefinition = (
  passportPackage.Passport as ServiceClientConstructor
).service;

/** How long an issued token is valid. */
const tokenTtlMs = 3_600_000;

/** What the handlers need. */
export interface PassportOptions {
  /** Signs and checks tokens; every replica must share it. */
  secret: string;
  /** Names the pod in answers (`served_by`). */
  servedBy: string;
  /** When it fires, session streams send a last event and end (a drain). */
  drainSignal: AbortSignal | undefined;
}

/** The handlers of passport.v1.Passport. */
export function createPassportHandlers(options: PassportOptions): UntypedServiceImplementation {
  const { secret, servedBy, drainSignal } = options;
  return {
    IssueToken(call: ServerUnaryCall<{ user: string }, unknown>, callback: sendUnaryData<unknown>) {
      const { token, expiresAtMs } = issueToken(secret, call.request.user, Date.now(), tokenTtlMs);
      callback(null, { token, expires_at_ms: expiresAtMs, served_by: servedBy });
    },
    VerifyToken(
      call: ServerUnaryCall<{ token: string }, unknown>,
      callback: sendUnaryData<unknown>,
    ) {
      const user = verifyToken(secret, call.request.token, Date.now());
      callback(null, { valid: user !== undefined, user: user ?? '', served_by: servedBy });
    },
    SessionEvents(call: ServerWritableStream<{ user: string; interval_ms: number }, unknown>) {
      const event = (kind: string, last = false) => ({
        kind,
        at_ms: Date.now(),
        served_by: servedBy,
        last,
      });
      const ticker = setInterval(
        () => call.write(event('heartbeat')),
        call.request.interval_ms || 500,
      );
      const end = () => {
        clearInterval(ticker);
        call.write(event('server-leaving', true));
        call.end();
      };
      call.once('cancelled', () => {
        clearInterval(ticker);
        drainSignal?.removeEventListener('abort', end);
      });
      if (drainSignal?.aborted) end();
      else drainSignal?.addEventListener('abort', end, { once: true });
    },
  };
}
