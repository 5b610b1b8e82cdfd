import type { Http2SecureServer, Http2Server } from 'node:http2';
import { Server as NetServer } from 'node:net';
import { experimental, type Server as GrpcServer, type ServerCredentials } from '@grpc/grpc-js';
import { LameduckError } from '../errors/lameduck-error.js';

/** A node:http2 server that grpc-js listens with. */
export type GrpcHttp2Server = Http2Server | Http2SecureServer;

/**
 * The node:http2 servers a grpc-js `Server` listens with. grpc-js keeps them in a private map
 * (`http2Servers`, from 1.10 to 1.14 at least) and has no public hook for sessions, and the
 * drain needs the sessions: to send the GOAWAY notice that moves callers away before the
 * listener closes, which grpc-js can only do by closing it. This is the one place lameduck reads
 * grpc-js internals; a version without them fails at start with this error, never silently.
 */
export function http2ServersOf(server: GrpcServer): GrpcHttp2Server[] {
  const map = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(map instanceof Map)) {
    throw new LameduckError(
      'internal',
      `grpc: this @grpc/grpc-js version does not keep its http2 servers where lameduck reads them; supported: ${supportedGrpcJs}`,
    );
  }
  const servers: GrpcHttp2Server[] = [];
  for (const key of map.keys()) {
    if (key instanceof NetServer) servers.push(key as GrpcHttp2Server);
  }
  return servers;
}

/** The @grpc/grpc-js versions the drain is tested with: the oldest (in CI) and the newest. */
export const supportedGrpcJs = '1.11 to 1.14';

/**
 * Refuses, with a message naming the version needed, a grpc-js without what the drain uses:
 * server interceptors added through the bind's credentials
 * (`experimental.createServerCredentialsWithInterceptors`, 1.11), by which it counts calls.
 */
export function checkGrpcJsForDrain(credentials: ServerCredentials): void {
  const withInterceptors = (experimental as Partial<typeof experimental>)
    .createServerCredentialsWithInterceptors;
  if (
    typeof withInterceptors === 'function' &&
    typeof (credentials as Partial<ServerCredentials>)._getInterceptors === 'function'
  ) {
    return;
  }
  throw new LameduckError(
    'invalid_state',
    `grpc: drainGrpcServer needs @grpc/grpc-js 1.11 or later (server interceptors added at bind, by which it counts calls); the one installed has none: upgrade it (supported: ${supportedGrpcJs})`,
  );
}
