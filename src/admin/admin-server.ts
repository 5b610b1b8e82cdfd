import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { LameduckError } from '../errors/lameduck-error.js';
import type { AddressAllowList } from './address-allow-list.js';

/** What the admin server needs from the lifecycle. */
export interface AdminHandlers {
  /** True while the service should receive traffic. */
  isReady(): boolean;
  /** Starts lame duck (idempotent) and resolves when the lame-duck wait is over. */
  prestop(): Promise<void>;
  /** Tells the lifecycle who was refused, for its log. */
  prestopRefused(remoteAddress: string | undefined): void;
}

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind; `undefined` binds every interface. */
  host: string | undefined;
  /** Who may call `/lameduck/prestop` (loopback and the server's own address always may). */
  prestopAllow: AddressAllowList;
  /** Metrics served on `/metrics`: the first registry's, then each other's. */
  registries: readonly Registry[];
  /** The lifecycle's side. */
  handlers: AdminHandlers;
}

/**
 * The admin server: `/livez`, `/readyz`, `/metrics` (GET and HEAD), `/lameduck/prestop` (GET
 * only, from the allow-list); other methods get 405.
 */
export interface AdminServer {
  /** Binds the port. Rejects with `unavailable` when it cannot. */
  listen(): Promise<AddressInfo>;
  /**
   * Stops listening once every `/lameduck/prestop` caller has had its answer, then closes the
   * remaining (probe) connections. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Makes the admin server; binds nothing until {@link AdminServer.listen}. Probes are answered from
 * state in memory, so `/readyz` turns 503 the moment lame duck begins.
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { handlers, registries, prestopAllow } = options;
  const pendingPrestops = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const reply = (res: ServerResponse, status: number, body: string, type = 'text/plain'): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const refuseMethod = (res: ServerResponse, allowed: string): void => {
    res.setHeader('allow', allowed);
    reply(res, 405, 'method not allowed\n');
  };

  const onPrestop = (req: IncomingMessage, res: ServerResponse): void => {
    // GET is what the kubelet's httpGet hook and `lameduck prestop` send. HEAD must stay free of
    // effects (caches, crawlers and link checkers send it), and nothing else has a use here.
    if (req.method !== 'GET') {
      refuseMethod(res, 'GET');
      return;
    }
    const remoteAddress = req.socket.remoteAddress;
    // A caller whose address is the server's own is inside the pod: the exec hook calling an
    // admin server bound to the pod's address (LAMEDUCK_ADMIN_HOST) comes from that address.
    const fromItself = remoteAddress !== undefined && remoteAddress === req.socket.localAddress;
    if (!fromItself && !prestopAllow.allows(remoteAddress)) {
      handlers.prestopRefused(remoteAddress);
      reply(res, 403, 'lameduck: /lameduck/prestop is accepted from loopback and the node only\n');
      return;
    }
    const answered = handlers.prestop().then(
      () => reply(res, 200, 'lame duck over: traffic is quiet\n'),
      (error: unknown) => reply(res, 500, `${LameduckError.from(error).message}\n`),
    );
    const done = new Promise<void>((resolve) => {
      res.once('close', resolve);
    });
    const tracked = answered.then(() => done);
    pendingPrestops.add(tracked);
    void tracked.finally(() => pendingPrestops.delete(tracked));
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuseMethod(res, path === '/lameduck/prestop' ? 'GET' : 'GET, HEAD');
      return;
    }
    switch (path) {
      case '/livez':
        reply(res, 200, 'ok\n');
        return;
      case '/readyz':
        if (handlers.isReady()) reply(res, 200, 'ready\n');
        else reply(res, 503, 'not ready\n');
        return;
      case '/metrics':
        Promise.all(registries.map((registry) => registry.metrics())).then(
          (texts) => reply(res, 200, joinExpositions(texts), registries[0]?.contentType),
          (error: unknown) => reply(res, 500, `${String(error)}\n`),
        );
        return;
      case '/lameduck/prestop':
        onPrestop(req, res);
        return;
      default:
        reply(res, 404, 'not found\n');
    }
  });
  // Probes open a connection each period; don't let them linger after close().
  server.keepAliveTimeout = 1000;

  return {
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        const onError = (error: Error): void => {
          reject(
            new LameduckError(
              'unavailable',
              `admin: cannot listen on ${options.host ?? '*'}:${options.port}: ${error.message}`,
              { cause: error },
            ),
          );
        };
        server.once('error', onError);
        server.listen({ port: options.port, host: options.host }, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= (async () => {
        await Promise.all(pendingPrestops);
        await new Promise<void>((resolve) => {
          if (!server.listening) {
            resolve();
            return;
          }
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/** Prometheus text expositions one after the other, each ending with its line break. */
function joinExpositions(texts: readonly string[]): string {
  return texts
    .filter((text) => text.trim() !== '')
    .map((text) => (text.endsWith('\n') ? text : `${text}\n`))
    .join('');
}
