/**
 * How a registration looks in etcd, in the key/value formats of the Go ecosystem, so that Go
 * services and lameduck services find each other. Pure: no I/O.
 */
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';

/** The registry formats lameduck reads and writes. */
export type RegistryFormat = 'etcd-naming' | 'go-zero' | 'kratos';

/** Every format, for validation and help texts. */
export const registryFormats: readonly RegistryFormat[] = ['etcd-naming', 'go-zero', 'kratos'];

/** One instance of a service, as callers need it. */
export interface ServiceEndpoint {
  /** `host:port` (`[v6]:port` for IPv6). */
  address: string;
  /** Free-form metadata; formats without metadata read `{}`. */
  metadata: Record<string, unknown>;
}

/** What a registration writes: one key, one value, attached to the instance's lease. */
export interface RegistryRecord {
  key: string;
  value: string;
}

/** What a decoded record says: an endpoint to add, or one to remove (etcd naming's `Op: 1`). */
export type DecodedRecord =
  | { op: 'add'; endpoint: ServiceEndpoint }
  | { op: 'delete'; address: string };

/** One format: where a service's records live, and how to write and read them. */
export interface RegistryCodec {
  /** The key prefix holding every instance of `service`. */
  prefix(service: string): string;
  /** The record of one instance; `leaseId` is etcd's lease id in decimal, `id` the instance id. */
  encode(
    service: string,
    endpoint: ServiceEndpoint,
    ids: { leaseId: string; id: string },
  ): RegistryRecord;
  /** Reads a record found under the prefix; an error names what is wrong with it. */
  decode(key: string, value: string): Result<DecodedRecord, LameduckError>;
}

const invalid = (what: string): Result<never, LameduckError> =>
  err(new LameduckError('invalid_config', `registry: ${what}`));

/** Checks `host:port` (`[v6]:port` for IPv6), with a port from 1 to 65535. */
export function parseHostPort(
  address: string,
): Result<{ host: string; port: number }, LameduckError> {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined || !(port >= 1 && port <= 65_535)) {
    return invalid(`'${address.slice(0, 100)}' is not host:port`);
  }
  return ok({ host, port });
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const metadataOf = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * etcd's own gRPC naming. Key `<service>/<addr>`; value `{"Op":0,"Addr":...,"Metadata":...}`:
 * `naming.Update` of etcd 3.4's `clientv3/naming/grpc.go` (`Op` 0 adds, 1 deletes), which etcd
 * 3.5's `client/v3/naming/endpoints` (endpoints_impl.go) reads as an `Endpoint{Addr, Metadata}`.
 */
const etcdNaming: RegistryCodec = {
  prefix: (service) => `${service}/`,
  encode: (service, endpoint) => ({
    key: `${service}/${endpoint.address}`,
    value: JSON.stringify({ Op: 0, Addr: endpoint.address, Metadata: endpoint.metadata }),
  }),
  decode(key, value) {
    const record = parseJsonObject(value);
    if (record === undefined) return invalid(`value of '${key}' is not a JSON object`);
    const { Op: op = 0, Addr: address, Metadata: metadata } = record;
    if (typeof address !== 'string') return invalid(`value of '${key}' has no string Addr`);
    const checked = parseHostPort(address);
    if (!checked.ok) return checked;
    if (op === 1) return ok({ op: 'delete', address });
    if (op !== 0) return invalid(`value of '${key}' has an unknown Op ${JSON.stringify(op)}`);
    return ok({ op: 'add', endpoint: { address, metadata: metadataOf(metadata) } });
  },
};

/**
 * go-zero's `core/discov`: key `<service>/<leaseID>` (`makeEtcdKey` in core/discov/clients.go,
 * the lease id in decimal), value `host:port`.
 */
const goZero: RegistryCodec = {
  prefix: (service) => `${service}/`,
  encode: (service, endpoint, { leaseId }) => ({
    key: `${service}/${leaseId}`,
    value: endpoint.address,
  }),
  decode(key, value) {
    const checked = parseHostPort(value);
    if (!checked.ok) return invalid(`value of '${key}' is not host:port`);
    return ok({ op: 'add', endpoint: { address: value, metadata: {} } });
  },
};

const kratosNamespace = '/microservices';
const kratosScheme = 'grpc://';

/**
 * kratos's `contrib/registry/etcd` (registry.go): key `/microservices/<name>/<id>`, value the
 * JSON of `registry.ServiceInstance`: `{"id","name","version","metadata","endpoints"}` with
 * endpoints as URLs (`grpc://host:port`).
 */
const kratos: RegistryCodec = {
  prefix: (service) => `${kratosNamespace}/${service}/`,
  encode: (service, endpoint, { id }) => ({
    key: `${kratosNamespace}/${service}/${id}`,
    value: JSON.stringify({
      id,
      name: service,
      version: typeof endpoint.metadata.version === 'string' ? endpoint.metadata.version : '',
      metadata: endpoint.metadata,
      endpoints: [`${kratosScheme}${endpoint.address}`],
    }),
  }),
  decode(key, value) {
    const record = parseJsonObject(value);
    if (record === undefined) return invalid(`value of '${key}' is not a JSON object`);
    const endpoints = Array.isArray(record.endpoints) ? record.endpoints : [];
    const grpcEndpoint = endpoints.find(
      (e): e is string => typeof e === 'string' && e.startsWith(kratosScheme),
    );
    if (grpcEndpoint === undefined) return invalid(`value of '${key}' has no grpc:// endpoint`);
    // kratos appends ?isSecure=... to endpoints; the address is what precedes it.
    const address = grpcEndpoint.slice(kratosScheme.length).split('?')[0] ?? '';
    const checked = parseHostPort(address);
    if (!checked.ok) return checked;
    return ok({ op: 'add', endpoint: { address, metadata: metadataOf(record.metadata) } });
  },
};

/** The codec of `format`. */
export function registryCodec(format: RegistryFormat): RegistryCodec {
  switch (format) {
    case 'etcd-naming':
      return etcdNaming;
    case 'go-zero':
      return goZero;
    case 'kratos':
      return kratos;
  }
}
