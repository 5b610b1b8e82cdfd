import { credentials } from '@grpc/grpc-js';
import { etcdChannelOptions, registerEtcdResolver } from 'lameduck/etcd';
import { Echo, type SayReply } from '../grpc/echo-service.js';

// etcd:///echo now works in any grpc-js channel of this process.
const resolver = registerEtcdResolver({
  endpoints: (process.env.ETCD_ENDPOINTS ?? 'http://etcd:2379').split(','),
  idempotentMethods: [{ service: 'echo.v1.Echo' }], // retried on UNAVAILABLE, on another server
});
const client = new Echo('etcd:///echo', credentials.createInsecure(), etcdChannelOptions);

const reply = await new Promise<SayReply>((resolve, reject) => {
  client.Say({ message: 'hello' }, { deadline: Date.now() + 5000 }, (error, answer) =>
    error === null && answer !== undefined ? resolve(answer) : reject(error),
  );
});
console.log(reply.message);
client.close();
await resolver.close();
