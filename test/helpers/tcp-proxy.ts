import net from 'node:net';

/** A loopback TCP proxy whose replies can be held back: a one-way partition for tests. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: give this to a client instead of the target. */
  readonly url: string;
  /** Stops reading the target's replies (requests still reach it); the kernel buffers them. */
  holdReplies(): void;
  /** Delivers the held replies and every later one. */
  releaseReplies(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port to `target` (`http://host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const upstreams = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  let holding = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    upstreams.add(upstream);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // After pipe(), which resumes its source: a connection made while holding is held too.
    if (holding) upstream.pause();
    const forget = () => {
      upstreams.delete(upstream);
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    holdReplies() {
      holding = true;
      for (const upstream of upstreams) upstream.pause();
    },
    releaseReplies() {
      holding = false;
      for (const upstream of upstreams) upstream.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
