/**
 * A model of a Kubernetes Service as kube-proxy implements it: an L4 proxy that picks a backend
 * for each NEW connection (round robin over the endpoint list), while established connections
 * stay on their backend whatever happens to the list, as conntrack entries do.
 */
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/** A running proxy; see {@link startServiceProxy}. */
export interface ServiceProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** Replaces the endpoint list (ports on 127.0.0.1): affects new connections only. */
  setEndpoints(ports: readonly number[]): void;
  /** Connections currently open through the proxy to backend `port`. */
  connectionsTo(port: number): number;
  /** Connections ever opened to backend `port`. */
  connectionsOpenedTo(port: number): number;
  /** Stops listening and destroys every proxied connection. Idempotent. */
  close(): Promise<void>;
}

/** Starts a {@link ServiceProxy} on 127.0.0.1, port 0, with `endpoints` as the initial list. */
export async function startServiceProxy(endpoints: readonly number[]): Promise<ServiceProxy> {
  let current = [...endpoints];
  let next = 0;
  const open = new Map<Socket, number>();
  const opened = new Map<number, number>();

  // allowHalfOpen on both sides: a FIN from one peer must reach the other as a FIN, with the
  // other direction still open, as through NAT; without it net ends the socket at once.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const port = current.length === 0 ? undefined : current[next++ % current.length];
    if (port === undefined) {
      // No endpoint: the connection is refused, as iptables REJECT does for an empty Service.
      client.resetAndDestroy();
      return;
    }
    opened.set(port, (opened.get(port) ?? 0) + 1);
    const upstream = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    open.set(client, port);
    // Data and FINs pass through the pipes in order; a reset on either side resets the other,
    // as a NAT'd connection would see it.
    client.pipe(upstream);
    upstream.pipe(client);
    const reset = (): void => {
      open.delete(client);
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    client.on('error', reset);
    upstream.on('error', reset);
    client.on('close', () => {
      open.delete(client);
      if (!upstream.destroyed) upstream.destroy();
    });
    upstream.on('close', () => {
      // The backend went away after its FIN was piped through; finish the client side too.
      if (!client.destroyed) client.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;

  return {
    port: (server.address() as AddressInfo).port,
    setEndpoints(ports) {
      current = [...ports];
    },
    connectionsTo(port) {
      let count = 0;
      for (const p of open.values()) if (p === port) count++;
      return count;
    },
    connectionsOpenedTo(port) {
      return opened.get(port) ?? 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of open.keys()) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
