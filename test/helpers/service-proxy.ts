import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A model of kube-proxy for tests: a TCP proxy on 127.0.0.1 that picks a backend for each NEW
 * connection from its endpoint list (round robin); established connections stay where they are,
 * whatever happens to the list.
 */
export interface ServiceProxy {
  readonly port: number;
  /** Replaces the endpoint list (ports on 127.0.0.1). */
  setEndpoints(ports: readonly number[]): void;
  /** Connections currently open through the proxy, per backend port. */
  connectionsTo(port: number): number;
  /** Closes the listener and destroys every proxied connection. */
  close(): Promise<void>;
}

/** Starts a {@link ServiceProxy} with an initial endpoint list. */
export async function startServiceProxy(initial: readonly number[]): Promise<ServiceProxy> {
  let endpoints = [...initial];
  let next = 0;
  const open = new Map<Socket, number>();
  const server: Server = createServer((client) => {
    const port = endpoints[next++ % Math.max(1, endpoints.length)];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port });
    open.set(client, port);
    client.pipe(upstream);
    upstream.pipe(client);
    // A reset on one side resets the other, as it would through NAT; a FIN passes through the
    // pipes, after the data before it.
    const reset = (): void => {
      open.delete(client);
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    client.on('error', reset);
    upstream.on('error', reset);
    client.on('close', () => open.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setEndpoints(ports) {
      endpoints = [...ports];
    },
    connectionsTo(port) {
      let n = 0;
      for (const p of open.values()) if (p === port) n++;
      return n;
    },
    async close() {
      for (const socket of open.keys()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
