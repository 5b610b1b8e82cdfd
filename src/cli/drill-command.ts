import { Command, InvalidArgumentError, Option } from 'commander';
import type { DrillCliOptions } from '../drill/drill-options.js';
import { scenarioNames } from '../drill/runtime/scenario-events.js';

function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError('must be a whole number > 0');
  return Number(value);
}

function wholeNumber(value: string): number {
  if (!/^(0|[1-9]\d{0,6})$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `lameduck drill`: rehearses rollouts, node drains, node crashes and node hangs of a service on
 * this machine, from its manifests, and counts every failed request. Exit 0 when none failed, 1
 * when any did, 2 for bad input.
 */
export function createDrillCommand(): Command {
  return new Command('drill')
    .description(
      'rehearse rolling updates, node drains, crashes and hangs of a service on this machine, ' +
        'with its manifests, real processes and real load, and count every failed request',
    )
    .argument(
      '<manifest...>',
      'files, directories or - (standard input): one Deployment or StatefulSet, its Service, a PDB',
    )
    .requiredOption(
      '--run <command>',
      "the command that starts one pod's container (instead of its image)",
    )
    .option('--http <request>', 'HTTP traffic: "METHOD /path"')
    .option('--grpc <method>', 'gRPC traffic: FILE.proto:package.Service/Method')
    .option('--request <json>', 'the gRPC request, as JSON')
    .option(
      '--hold-streams <method>',
      'also hold --streams server streams of FILE.proto:package.Service/Method open',
    )
    .option('--hold-streams-request <json>', 'the request opening each held stream, as JSON')
    .option('--rate <perSecond>', 'requests per second, on each path', positiveInteger, 300)
    .option(
      '--streams <count>',
      'server streams held open (a server-streaming --grpc method, or --hold-streams)',
      positiveInteger,
      8,
    )
    .option('--deadline-ms <ms>', 'deadline of each request', positiveInteger, 2000)
    .option(
      '--scenario <names>',
      `scenarios, comma-separated: ${scenarioNames.join(', ')}`,
      scenarioNames.join(','),
    )
    .addOption(
      new Option('--path <path>', 'how callers find the pods')
        .choices(['service', 'etcd', 'both'])
        .default('service'),
    )
    .addOption(
      new Option('--client <client>', 'the etcd path caller')
        .choices(['lameduck', 'plain'])
        .default('lameduck'),
    )
    .option('--not-idempotent', 'the lameduck client must not retry the method on another server')
    .addOption(
      new Option('--registry-format <format>', 'how pods register in etcd')
        .choices(['etcd-naming', 'go-zero', 'kratos'])
        .default('etcd-naming'),
    )
    .option(
      '--registry-prefix <name>',
      "the name pods register under (default: the workload's name)",
    )
    .option('--etcd <urls>', "the user's etcd (comma-separated URLs) instead of a local one")
    .option('--nodes <count>', 'nodes of the cluster', positiveInteger, 3)
    .option('--seed <n>', 'seed of placement, names and delays', wholeNumber, 1)
    .option('--container <name>', 'the container to run, when the pod has several')
    .option('--env <NAME=VALUE>', 'an env value for the container (repeatable)', collect, [])
    .option('--propagation-ms <range>', 'endpoint propagation delay: MS or MIN-MAX', '100-1100')
    .option(
      '--node-monitor-grace <seconds>',
      'node-monitor-grace-period: a silent node turns NotReady after it',
      positiveInteger,
      40,
    )
    .option(
      '--toleration-seconds <seconds>',
      "a NotReady node's pods are evicted after it",
      wholeNumber,
      300,
    )
    .option('--hang-seconds <seconds>', 'how long node-hang stops the node', positiveInteger, 60)
    .option('--before-seconds <seconds>', 'load before each event', wholeNumber, 3)
    .option('--after-seconds <seconds>', 'load after the cluster settled', wholeNumber, 2)
    .option(
      '--start-timeout-seconds <seconds>',
      'for every pod to become ready (and registered)',
      positiveInteger,
      60,
    )
    .option(
      '--scenario-timeout-seconds <seconds>',
      'for a scenario to settle',
      positiveInteger,
      900,
    )
    .option(
      '--netns',
      'each pod in a network namespace of its own (root): services may bind 0.0.0.0',
    )
    .option('--json <file>', 'write the results as JSON')
    .option('--report <file>', 'write the results as a self-contained HTML report')
    .action(async (manifests: string[], flags: DrillCliOptions) => {
      // Loaded when used: the drill needs grpc-js, proto-loader and etcd3 (optional peers), and
      // `lameduck lint` must run without them.
      let drill: typeof import('./drill-run.js');
      try {
        drill = await import('./drill-run.js');
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        process.stderr.write(
          'lameduck drill needs @grpc/grpc-js, @grpc/proto-loader and etcd3: ' +
            `npm install @grpc/grpc-js @grpc/proto-loader etcd3 (${(error as Error).message})\n`,
        );
        process.exitCode = 2;
        return;
      }
      process.exitCode = await drill.runDrill(manifests, flags);
    });
}
