import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import {
  type DrainableServer,
  drainHttpServer,
  type HttpDrainOptions,
  type HttpDrainParticipant,
} from '../../src/http/index.js';

/** A server on a free 127.0.0.1 port with {@link drainHttpServer} attached. */
export interface DrainedServer<S extends DrainableServer> {
  readonly server: S;
  readonly drain: HttpDrainParticipant;
  readonly port: number;
}

/**
 * Attaches {@link drainHttpServer} to `server` (with its listeners already added), listens on
 * 127.0.0.1:0, and closes the server and every connection left after the test.
 */
export async function startDrainedServer<S extends DrainableServer>(
  t: TestContext,
  server: S,
  options: Partial<HttpDrainOptions> = {},
): Promise<DrainedServer<S>> {
  const drain = drainHttpServer(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    if ('closeAllConnections' in server) (server as HttpServer).closeAllConnections();
    if (!server.listening) return;
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, drain, port: (server.address() as AddressInfo).port };
}

/**
 * Starts `drain`'s stop and ends its budget at once: what is in flight then is forced. Resolves
 * with the outcome.
 */
export function stopAtDeadline(
  drain: HttpDrainParticipant,
): ReturnType<HttpDrainParticipant['stop']> {
  const budget = new AbortController();
  const stopped = drain.stop(budget.signal);
  budget.abort();
  return stopped;
}

/** A raw TCP connection to an HTTP/1.1 server: what is written goes out as is. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves once `received()` matches `pattern`. */
  receivedMatching(pattern: RegExp): Promise<string>;
  /** Resolves with everything received once the server closed the connection. */
  readonly closed: Promise<string>;
}

/** Connects to `port` on 127.0.0.1; the connection is destroyed after the test. */
export async function openRawConnection(t: TestContext, port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  let text = '';
  const waiters = new Set<() => void>();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters) wake();
  });
  const closed = once(socket, 'close').then(() => text);
  await once(socket, 'connect');
  return {
    socket,
    received: () => text,
    receivedMatching(pattern) {
      return new Promise<string>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(text)) return;
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
        void closed.then(() => {
          if (!waiters.delete(check)) return;
          if (pattern.test(text)) resolve(text);
          else reject(new Error(`raw connection closed without ${pattern}; got:\n${text}`));
        });
        check();
      });
    },
    closed,
  };
}

/** A promise with its resolve function, for tests that wait on a handler being called. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
