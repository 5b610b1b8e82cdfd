import { fileURLToPath } from 'node:url';
import {
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  loadPackageDefinition,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

// The Echo service of echo.proto, typed, for the server and its callers.
export interface SayRequest {
  message: string;
}
export interface SayReply {
  message: string;
}
export interface WatchRequest {
  interval_ms: number;
}
export interface EchoClient extends Client {
  Say(
    request: SayRequest,
    options: CallOptions,
    callback: (error: ServiceError | null, reply?: SayReply) => void,
  ): ClientUnaryCall;
  Watch(request: WatchRequest): ClientReadableStream<SayReply>;
}

const protoPath = fileURLToPath(new URL('./echo.proto', import.meta.url));
const loaded = loadPackageDefinition(loadSync(protoPath, { keepCase: true })) as unknown as {
  echo: { v1: { Echo: ServiceClientConstructor } };
};
/** The service definition (`Echo.service`) and its client (`new Echo(target, credentials)`). */
export const Echo = loaded.echo.v1.Echo as unknown as Pick<ServiceClientConstructor, 'service'> &
  (new (
    ...args: ConstructorParameters<ServiceClientConstructor>
  ) => EchoClient);
