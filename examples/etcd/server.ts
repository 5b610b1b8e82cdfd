import { Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { createLifecycle } from 'lameduck';
import { etcdRegistration } from 'lameduck/etcd';
import { drainGrpcServer } from 'lameduck/grpc';
import { Echo, type SayReply, type SayRequest } from '../grpc/echo-service.js';

const server = new Server();
server.addService(Echo.service, {
  Say(call: ServerUnaryCall<SayRequest, SayReply>, callback: sendUnaryData<SayReply>) {
    callback(null, { message: `${call.request.message} from ${process.env.POD_IP}` });
  },
});
const grpcDrain = drainGrpcServer(server, { address: process.env.GRPC_ADDRESS ?? '0.0.0.0:50051' });

const life = createLifecycle().add(grpcDrain);
// Registered once every server listens; revoked first thing in lame duck.
life.add(
  etcdRegistration({
    endpoints: (process.env.ETCD_ENDPOINTS ?? 'http://etcd:2379').split(','),
    service: 'echo',
    address: () => `${process.env.POD_IP}:${grpcDrain.port}`,
    format: 'etcd-naming', // or 'go-zero', 'kratos': the Go ecosystem reads and writes the same keys
    // metadata: 'zone-a', // etcd naming: a string, number or boolean (see docs/go-interop.md)
    logger: life.logger,
  }),
);
await life.run();
