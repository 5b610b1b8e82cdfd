import {
  Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { createLifecycle } from 'lameduck';
import { drainGrpcServer } from 'lameduck/grpc';
import { Echo, type SayReply, type SayRequest, type WatchRequest } from './echo-service.js';

const server = new Server();
const grpcDrain = drainGrpcServer(server, {
  address: process.env.GRPC_ADDRESS ?? '0.0.0.0:50051', // binds in start()
});
grpcDrain.health?.setStatus('echo.v1.Echo', 'SERVING'); // '' (the whole server) is declared already

server.addService(Echo.service, {
  Say(call: ServerUnaryCall<SayRequest, SayReply>, callback: sendUnaryData<SayReply>) {
    callback(null, { message: call.request.message });
  },
  // A stream that ends on its own, with status OK, when the drain tells it to.
  Watch(call: ServerWritableStream<WatchRequest, SayReply>) {
    const ticker = setInterval(
      () => call.write({ message: 'tick' }),
      call.request.interval_ms || 1000,
    );
    const finish = () => {
      clearInterval(ticker);
      call.write({ message: 'bye' });
      call.end(); // status OK
    };
    if (grpcDrain.drainSignal.aborted) return finish(); // arrived while draining
    grpcDrain.drainSignal.addEventListener('abort', finish, { once: true });
    call.once('cancelled', () => {
      clearInterval(ticker);
      grpcDrain.drainSignal.removeEventListener('abort', finish);
    });
  },
});

await createLifecycle().add(grpcDrain).run();
