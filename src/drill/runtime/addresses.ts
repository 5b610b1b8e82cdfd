/**
 * Loopback addresses for a drill's nodes and pods: node N is `127.B.N.1`, its pods `127.B.N.M`
 * (M from 2), so every pod can bind the manifest's port as in a cluster. B is a block of 127/8
 * reserved for this run by binding a marker socket on `127.B.0.1`, so that two drills on one
 * machine (parallel tests, two terminals) never hand out the same address.
 */
import { createServer, type Server } from 'node:net';
import { LameduckError } from '../../errors/lameduck-error.js';

/** The addresses of one drill. */
export interface AddressBlock {
  /** The second octet, B. */
  readonly block: number;
  /** Node `index` (from 1): the address its probes and hooks come from (`HOST_IP`). */
  nodeAddress(index: number): string;
  /** A fresh address for a pod on node `index`. */
  podAddress(index: number): string;
  /** Gives the block back. */
  release(): Promise<void>;
}

// The marker that reserves a block: above the ephemeral range (32768-60999), so no outgoing
// connection holds it, and unprivileged.
const markerPort = 65_432;
const firstBlock = 16;
const lastBlock = 250;

function tryBind(host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port: markerPort, exclusive: true }, () => resolve(server));
  });
}

/** Reserves a free block, starting the search at a block drawn from `random`. */
export async function reserveAddressBlock(random: () => number): Promise<AddressBlock> {
  const span = lastBlock - firstBlock + 1;
  const start = Math.floor(random() * span);
  for (let i = 0; i < span; i++) {
    const block = firstBlock + ((start + i) % span);
    const marker = await tryBind(`127.${block}.0.1`);
    if (marker === undefined) continue;
    const nextHost = new Map<number, number>();
    return {
      block,
      nodeAddress: (index) => `127.${block}.${index}.1`,
      podAddress(index) {
        // 2..254, then around again: a pod address is reused only after 253 pods on one node.
        const host = nextHost.get(index) ?? 2;
        nextHost.set(index, host >= 254 ? 2 : host + 1);
        return `127.${block}.${index}.${host}`;
      },
      release: () => new Promise<void>((resolve) => marker.close(() => resolve())),
    };
  }
  throw new LameduckError(
    'unavailable',
    `drill: no free address block in 127.${firstBlock}-${lastBlock}.0.0 (port ${markerPort} taken on each)`,
  );
}
