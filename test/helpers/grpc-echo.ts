/**
 * The example gRPC service of the tests (test/fixtures/grpc/echo.proto): its definition, a
 * client, and the byte-level codec the generic load and foreign clients use.
 */

import { fileURLToPath } from 'node:url';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type Metadata,
  type ServiceClientConstructor,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';

/** Path of the example service's proto. */
export const echoProtoPath = fileURLToPath(new URL('../fixtures/grpc/echo.proto', import.meta.url));

const packageDefinition = loadSync(echoProtoPath, { keepCase: true, defaults: true });
const echoPackage = (
  (loadPackageDefinition(packageDefinition).lameduck as GrpcObject).example as GrpcObject
).v1 as GrpcObject;
const EchoClient = echoPackage.Echo as ServiceClientConstructor;

/** The service definition, for `server.addService`. */
export const echoService: ServiceDefinition = EchoClient.service;

/** Full method paths. */
export const echoMethods = {
  unary: '/lameduck.example.v1.Echo/Unary',
  serverStream: '/lameduck.example.v1.Echo/ServerStream',
  bidi: '/lameduck.example.v1.Echo/Bidi',
} as const;

/** `EchoReply` as the handlers and clients see it. */
export interface EchoReply {
  message: string;
  pid: number;
  seq: number;
  last: boolean;
}

const unary = (
  packageDefinition['lameduck.example.v1.Echo'] as Record<
    string,
    MethodDefinition<object, EchoReply>
  >
).Unary as MethodDefinition<object, EchoReply>;

/** Serializes an `EchoRequest`. */
export function encodeEchoRequest(request: { message: string; delay_ms?: number }): Buffer {
  return unary.requestSerialize(request);
}

/** Deserializes an `EchoReply`. */
export function decodeEchoReply(bytes: Buffer): EchoReply {
  return unary.responseDeserialize(bytes);
}

/** A client of the example service. */
export interface EchoServiceClient extends Client {
  Unary(
    request: { message: string; delay_ms: number },
    callback: (error: ServiceError | null, reply: EchoReply) => void,
  ): ClientUnaryCall;
  Unary(
    request: { message: string; delay_ms: number },
    metadata: Metadata,
    callback: (error: ServiceError | null, reply: EchoReply) => void,
  ): ClientUnaryCall;
  ServerStream(request: {
    interval_ms: number;
    ignore_drain: boolean;
  }): ClientReadableStream<EchoReply>;
  Bidi(): ClientDuplexStream<{ message: string; delay_ms: number }, EchoReply>;
}

/** Makes a client of the example service. */
export function createEchoClient(
  target: string,
  options: ChannelOptions = {},
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): EchoServiceClient {
  return new EchoClient(target, channelCredentials, options) as unknown as EchoServiceClient;
}

/** How a streaming call ended, and what it received. */
export interface ObservedStream<T> {
  readonly messages: T[];
  /** The final status (grpc-js emits one for every call). */
  readonly status: Promise<StatusObject>;
  /** Resolves with the first message matching `predicate` (past or future). */
  waitForMessage(predicate: (message: T) => boolean): Promise<T>;
}

/** Records a client stream's messages and final status. */
export function observeStream<T>(
  call: ClientReadableStream<T> | ClientDuplexStream<unknown, T>,
): ObservedStream<T> {
  const messages: T[] = [];
  const waiters = new Set<{ predicate: (m: T) => boolean; resolve: (m: T) => void }>();
  call.on('data', (message: T) => {
    messages.push(message);
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  });
  // A non-OK status also arrives as 'error'; 'status' carries it either way.
  call.on('error', () => {});
  const status = new Promise<StatusObject>((resolve) => call.once('status', resolve));
  return {
    messages,
    status,
    waitForMessage(predicate) {
      const found = messages.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        waiters.add({ predicate, resolve });
        void status.then((s) =>
          reject(new Error(`stream ended (${s.code} ${s.details}) before the awaited message`)),
        );
      });
    },
  };
}
