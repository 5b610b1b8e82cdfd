import net from 'node:net';
import { LameduckError } from '../errors/lameduck-error.js';

/**
 * Finds `count` distinct TCP ports that are free on `host` right now, by binding that many
 * servers to port 0 at the same time, reading the ports the kernel chose, and closing them.
 *
 * The ports are free when the promise resolves, not reserved: another process may take one
 * before the caller binds it. Callers that start a server on them should retry once with fresh
 * ports when the bind fails with `EADDRINUSE` (`startLocalEtcd` does).
 *
 * Rejects with `unavailable` when a server cannot be bound, and with `invalid_config` when
 * `count` is not a non-negative integer. No server is left open in either case.
 */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0) {
    throw new LameduckError(
      'invalid_config',
      `free-port: count must be a non-negative integer, got ${count}`,
    );
  }
  const servers: net.Server[] = [];
  try {
    // Hold every server open until all are bound so the kernel cannot hand out a port twice.
    for (let i = 0; i < count; i += 1) {
      servers.push(await listenOnPortZero(host));
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        throw new LameduckError('internal', `free-port: server on ${host} has no TCP address`);
      }
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(closeServer));
  }
}

function listenOnPortZero(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (cause) => {
      reject(new LameduckError('unavailable', `free-port: cannot bind ${host}:0`, { cause }));
    });
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
