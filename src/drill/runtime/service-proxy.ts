/**
 * A model of a Kubernetes Service as kube-proxy implements it: an L4 proxy that picks a backend
 * for each NEW connection (round robin over the endpoint list), while established connections
 * stay on their backend whatever happens to the list, as conntrack entries do.
 */
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/** A backend: a port on 127.0.0.1, or a host and port. */
export type ProxyEndpoint = number | { host: string; port: number };

/** A running proxy; see {@link startServiceProxy}. */
export interface ServiceProxy {
  /** The address the proxy listens on. */
  readonly host: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** Replaces the endpoint list: affects new connections only. */
  setEndpoints(endpoints: readonly ProxyEndpoint[]): void;
  /** Connections currently open through the proxy to `endpoint`. */
  connectionsTo(endpoint: ProxyEndpoint): number;
  /** Connections ever opened to `endpoint`. */
  connectionsOpenedTo(endpoint: ProxyEndpoint): number;
  /** Stops listening and destroys every proxied connection. Idempotent. */
  close(): Promise<void>;
}

const hostPort = (endpoint: ProxyEndpoint) =>
  typeof endpoint === 'number' ? { host: '127.0.0.1', port: endpoint } : endpoint;
const keyOf = (endpoint: ProxyEndpoint) => {
  const { host, port } = hostPort(endpoint);
  return `${host}:${port}`;
};

/**
 * Starts a {@link ServiceProxy} on `host` (default 127.0.0.1), port 0, with `endpoints` as the
 * initial list.
 */
export async function startServiceProxy(
  endpoints: readonly ProxyEndpoint[],
  host = '127.0.0.1',
): Promise<ServiceProxy> {
  let current = endpoints.map(hostPort);
  let next = 0;
  const open = new Map<Socket, string>();
  const opened = new Map<string, number>();

  // allowHalfOpen on both sides: a FIN from one peer must reach the other as a FIN, with the
  // other direction still open, as through NAT; without it net ends the socket at once.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const backend = current.length === 0 ? undefined : current[next++ % current.length];
    if (backend === undefined) {
      // No endpoint: the connection is refused, as iptables REJECT does for an empty Service.
      client.resetAndDestroy();
      return;
    }
    const key = keyOf(backend);
    opened.set(key, (opened.get(key) ?? 0) + 1);
    const upstream = createConnection({
      host: backend.host,
      port: backend.port,
      allowHalfOpen: true,
    });
    open.set(client, key);
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
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;

  return {
    host,
    port: (server.address() as AddressInfo).port,
    setEndpoints(list) {
      current = list.map(hostPort);
    },
    connectionsTo(endpoint) {
      const key = keyOf(endpoint);
      let count = 0;
      for (const k of open.values()) if (k === key) count++;
      return count;
    },
    connectionsOpenedTo(endpoint) {
      return opened.get(keyOf(endpoint)) ?? 0;
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
