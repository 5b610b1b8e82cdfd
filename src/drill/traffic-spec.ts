/**
 * What the drill's callers send, read from `--http "METHOD /path"` or
 * `--grpc FILE.proto:pkg.Service/Method` with `--request JSON` (unary or server-streaming
 * methods; the request is encoded with the proto, so any service can be called).
 */
import { loadSync } from '@grpc/proto-loader';
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import type { TrafficSpec } from './runtime/traffic.js';

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `drill: ${message}`));

const httpMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Reads `--http "GET /path"`. */
export function parseHttpTraffic(text: string): Result<TrafficSpec> {
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(text);
  const method = match?.[1]?.toUpperCase();
  if (match === null || method === undefined || !httpMethods.has(method)) {
    return invalid(`--http must be "METHOD /path" (e.g. "GET /healthz"), got '${text}'`);
  }
  return ok({ kind: 'http', method, path: match[2] as string });
}

/** Reads `--grpc FILE.proto:pkg.Service/Method` and encodes `requestJson` for it. */
export function parseGrpcTraffic(
  text: string,
  requestJson: string | undefined,
): Result<TrafficSpec> {
  const match = /^(.+\.proto):([\w.]+)\/(\w+)$/.exec(text.trim());
  if (match === null) {
    return invalid(`--grpc must be FILE.proto:package.Service/Method, got '${text}'`);
  }
  const [, file, service, methodName] = match as unknown as [string, string, string, string];
  let definition: ReturnType<typeof loadSync>;
  try {
    definition = loadSync(file, { keepCase: true, longs: String, enums: String, defaults: true });
  } catch (error) {
    return invalid(`cannot load ${file}: ${LameduckError.from(error).rawMessage}`);
  }
  const serviceDefinition = definition[service] as Record<string, unknown> | undefined;
  if (serviceDefinition === undefined || 'format' in serviceDefinition) {
    const services = Object.entries(definition)
      .filter(([, value]) => !('format' in (value as object)))
      .map(([name]) => name);
    return invalid(`${file} has no service '${service}' (it has ${services.join(', ') || 'none'})`);
  }
  const method = serviceDefinition[methodName] as
    | {
        path: string;
        requestStream: boolean;
        responseStream: boolean;
        requestSerialize(value: unknown): Buffer;
      }
    | undefined;
  if (method === undefined) {
    return invalid(
      `${service} has no method '${methodName}' (it has ${Object.keys(serviceDefinition).join(', ')})`,
    );
  }
  if (method.requestStream) {
    return invalid(
      `${service}/${methodName} streams requests: the drill calls unary and server-streaming methods`,
    );
  }
  let value: unknown = {};
  if (requestJson !== undefined) {
    try {
      value = JSON.parse(requestJson);
    } catch (error) {
      return invalid(`--request is not JSON: ${LameduckError.from(error).rawMessage}`);
    }
  }
  let request: Buffer;
  try {
    request = method.requestSerialize(value);
  } catch (error) {
    return invalid(
      `--request does not fit ${service}/${methodName}'s request: ${LameduckError.from(error).rawMessage}`,
    );
  }
  return ok({
    kind: 'grpc',
    method: method.path,
    service,
    methodName,
    request,
    serverStreaming: method.responseStream,
  });
}
