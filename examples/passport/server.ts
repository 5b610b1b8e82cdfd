/**
 * The Passport example service, in the three modes the demo compares (the same handlers in each):
 *
 * - `naive`: the incident before its fix: no signal handling (SIGTERM kills it at once), and it
 *   never deregisters from etcd (its lease expires by itself);
 * - `seed-fix`: the incident's write-up, faithfully: on SIGTERM, deregister from etcd, then
 *   grpc-js's graceful stop with no deadline (`tryShutdown`, grpc-go's GracefulStop);
 * - `lameduck` (the default): lameduck's lifecycle, gRPC drain, health service and etcd
 *   registration.
 *
 * `--mode MODE` or env `PASSPORT_MODE`. It listens on `POD_IP:PORT` (default 127.0.0.1:50051)
 * and registers as `passport` (etcd naming, as the incident's Go callers read it) in
 * `ETCD_ENDPOINTS`, when given. Tokens are signed with `PASSPORT_SECRET`.
 */
import { hostname } from 'node:os';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { drainGrpcServer } from '../../src/grpc/index.js';
import { createLifecycle } from '../../src/index.js';
import { etcdRegistration, registryCodec } from '../../src/registry/index.js';
import { createPassportHandlers, passportService } from './passport-service.js';

type Mode = 'naive' | 'seed-fix' | 'lameduck';
const modes: readonly Mode[] = ['naive', 'seed-fix', 'lameduck'];

const modeFlag = process.argv.indexOf('--mode');
const mode = (modeFlag >= 0 ? process.argv[modeFlag + 1] : process.env.PASSPORT_MODE) ?? 'lameduck';
if (!modes.includes(mode as Mode)) {
  process.stderr.write(`passport: --mode must be one of ${modes.join(', ')}, got '${mode}'\n`);
  process.exit(2);
}
const host = process.env.POD_IP ?? '127.0.0.1';
const port = Number(process.env.PORT ?? '50051');
const servedBy = process.env.POD_NAME ?? hostname();
const secret = process.env.PASSPORT_SECRET ?? 'passport-example-secret';
const etcdEndpoints = process.env.ETCD_ENDPOINTS?.split(',').filter((e) => e !== '');
const service = 'passport';
const server = new Server();

if (mode === 'lameduck') {
  const grpcDrain = drainGrpcServer(server, { address: `${host}:${port}` });
  server.addService(
    passportService,
    createPassportHandlers({ secret, servedBy, drainSignal: grpcDrain.drainSignal }),
  );
  grpcDrain.health?.setStatus('passport.v1.Passport', 'SERVING');
  const life = createLifecycle().add(grpcDrain);
  if (etcdEndpoints !== undefined) {
    life.add(
      etcdRegistration({
        endpoints: etcdEndpoints,
        service,
        address: () => `${host}:${grpcDrain.port}`,
        logger: life.logger,
      }),
    );
  }
  await life.run();
} else {
  // The incident's service, without lameduck: it listens, registers, and (seed-fix) leaves.
  server.addService(
    passportService,
    createPassportHandlers({ secret, servedBy, drainSignal: undefined }),
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error) =>
      error === null ? resolve() : reject(error),
    ),
  );
  const leave = etcdEndpoints === undefined ? async () => {} : await register(etcdEndpoints);
  if (mode === 'seed-fix') {
    process.once('SIGTERM', () => {
      void leave().then(() => server.tryShutdown(() => process.exit(0)));
    });
  }
}

/** Registers as the incident's Go service did: a 10 s lease kept alive; returns the deregistration. */
async function register(endpoints: string[]): Promise<() => Promise<void>> {
  const client = new Etcd3({ hosts: endpoints });
  const lease = client.lease(10);
  const record = registryCodec('etcd-naming').encode(
    service,
    { address: `${host}:${port}` },
    {
      leaseId: await lease.grant(),
      id: servedBy,
    },
  );
  await lease.put(record.key).value(record.value);
  return async () => {
    await lease.revoke().catch(() => {});
    client.close();
  };
}
