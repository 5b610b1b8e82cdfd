/**
 * `--netns`: each pod in a network namespace of its own, made by the drill (root and iproute2),
 * so that a service binding 0.0.0.0 runs unchanged and a pod's loopback is its own. Addresses
 * come from the benchmarking range 198.18.0.0/15 (RFC 2544, never routed): node N of block B is
 * `198.19.B.N` (on the host's loopback interface, where probes, hooks and the Service's proxy
 * come from), its pods `198.18.B.(N*32+M)`. A veth pair joins each pod to the
 * host; a lost node's pods get blackhole routes, so callers get silence, as from a dead machine,
 * not a refusal. The block's ranges are blackholed too: nothing is routed anywhere else.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LameduckError } from '../../errors/lameduck-error.js';

const run = promisify(execFile);

/** One pod's network. */
export interface PodNetwork {
  readonly namespace: string;
  readonly podAddress: string;
  readonly nodeAddress: string;
  /** What runs a command inside the namespace: `ip netns exec NAME`. */
  readonly execPrefix: readonly string[];
  /** Sets the pod's link down: packets to it vanish (a machine that died). */
  blackhole(): Promise<void>;
  /** Removes the namespace and its link. */
  remove(): Promise<void>;
}

/** The drill's networks, for one address block. */
export interface NetnsNetworks {
  nodeAddress(node: number): string;
  /** Makes a pod's namespace on `node` (the node's address on first use). */
  createPod(node: number): Promise<PodNetwork>;
  /** Every namespace and interface this drill made, for the reaper. */
  readonly names: ReadonlySet<string>;
  /** Removes everything made. */
  removeAll(): Promise<void>;
}

const ip = async (...args: string[]): Promise<void> => {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new LameduckError(
      'unavailable',
      `drill --netns: ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`,
    );
  }
};

/** Checks that network namespaces can be made here: root and `ip`. */
export async function checkNetnsSupport(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new LameduckError(
      'invalid_config',
      'drill: --netns needs root (it makes network namespaces and links)',
    );
  }
  try {
    await run('ip', ['-V'], { timeout: 5000 });
  } catch {
    throw new LameduckError(
      'invalid_config',
      'drill: --netns needs iproute2 (`ip`): apt-get install iproute2',
    );
  }
}

/** The networks of address block `block` (16 to 250). */
export function createNetnsNetworks(block: number): NetnsNetworks {
  const names = new Set<string>();
  const nodeAddresses = new Map<number, Promise<void>>();
  const nextHost = new Map<number, number>();
  let serial = 0;
  const nodeAddress = (node: number) => `198.19.${block}.${node}`;

  // The node's address sits on the host's loopback (no dummy interface needed, which some
  // kernels lack): local, so the pods' veths answer ARP for it and probes can bind it.
  // Every address of the block that no pod holds is dropped here, never routed elsewhere.
  let blockRoutes: Promise<void> | undefined;
  const blackholeBlock = (): Promise<void> => {
    blockRoutes ??= (async () => {
      for (const range of [`198.18.${block}.0/24`, `198.19.${block}.0/24`]) {
        names.add(`route ${range}`);
        await ip('route', 'add', 'blackhole', range);
      }
    })();
    return blockRoutes;
  };
  const nodeAddressFor = (node: number): Promise<void> => {
    let made = nodeAddresses.get(node);
    if (made === undefined) {
      names.add(`addr ${nodeAddress(node)}/32`);
      made = ip('addr', 'add', `${nodeAddress(node)}/32`, 'dev', 'lo');
      nodeAddresses.set(node, made);
    }
    return made;
  };

  return {
    nodeAddress,
    names,
    async createPod(node) {
      await blackholeBlock();
      await nodeAddressFor(node);
      const host = nextHost.get(node) ?? 2;
      if (host > 31)
        throw new LameduckError(
          'unavailable',
          `drill --netns: node ${node} ran out of pod addresses (30)`,
        );
      nextHost.set(node, host + 1);
      serial += 1;
      const podAddress = `198.18.${block}.${node * 32 + host}`;
      const namespace = `ld${block}p${serial}`;
      const hostLink = `ld${block}v${serial}`;
      names.add(`netns ${namespace}`);
      await ip('netns', 'add', namespace);
      await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      await ip('link', 'set', hostLink, 'up');
      await ip('route', 'add', `${podAddress}/32`, 'dev', hostLink, 'src', nodeAddress(node));
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
      await ip('-n', namespace, 'addr', 'add', `${podAddress}/32`, 'dev', 'eth0');
      await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      await ip('-n', namespace, 'route', 'add', `${nodeAddress(node)}/32`, 'dev', 'eth0');
      await ip('-n', namespace, 'route', 'add', 'default', 'via', nodeAddress(node), 'dev', 'eth0');
      return {
        namespace,
        podAddress,
        nodeAddress: nodeAddress(node),
        execPrefix: ['ip', 'netns', 'exec', namespace],
        // A blackhole route, not a link set down: with the link down the kernel would fall back
        // to the default route, and the pod's traffic would leave the machine.
        blackhole: () => {
          names.add(`route ${podAddress}/32`);
          return ip('route', 'replace', 'blackhole', `${podAddress}/32`);
        },
        async remove() {
          // Removing the namespace removes the pair of links with it.
          await ip('netns', 'del', namespace).catch(() => {});
          names.delete(`netns ${namespace}`);
        },
      };
    },
    async removeAll() {
      for (const entry of [...names]) {
        const [kind, name] = entry.split(' ') as [string, string];
        if (kind === 'netns') await ip('netns', 'del', name).catch(() => {});
        else if (kind === 'route') await ip('route', 'del', 'blackhole', name).catch(() => {});
        else await ip('addr', 'del', name, 'dev', 'lo').catch(() => {});
        names.delete(entry);
      }
    },
  };
}
