/**
 * How a registration looks in etcd, in the key/value formats of the Go ecosystem, so that Go
 * services and lameduck services find each other. Pure: no I/O.
 */
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';

/** The registry formats lameduck reads and writes. */
export type RegistryFormat = 'etcd-naming' | 'go-zero' | 'kratos';

/** Every format, for validation and help texts. */
export const registryFormats: readonly RegistryFormat[] = ['etcd-naming', 'go-zero', 'kratos'];

/**
 * Metadata a registration may carry. Which shapes a format takes is decided by the Go code that
 * reads it (see {@link RegistryCodec.checkMetadata}): etcd naming takes a string, number or
 * boolean; kratos an object of strings; go-zero nothing.
 */
export type RegistryMetadata = string | number | boolean | Readonly<Record<string, string>>;

/** One instance of a service, as callers need it. */
export interface ServiceEndpoint {
  /** `host:port` (`[v6]:port` for IPv6). */
  address: string;
  /** The record's metadata as written, if it has any. */
  metadata?: unknown;
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
  /**
   * Checks that `metadata` (`undefined`: none) has a shape this format's Go readers survive;
   * the error says which shapes the format takes, and why.
   */
  checkMetadata(metadata: unknown): Result<void, LameduckError>;
  /**
   * The record of one instance, whose metadata passed {@link RegistryCodec.checkMetadata};
   * `leaseId` is etcd's lease id in decimal (int64: a string, never a JS number), `id` the
   * instance id.
   */
  encode(
    service: string,
    endpoint: { address: string; metadata?: RegistryMetadata | undefined },
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

const fits = ok(undefined);
const unfit = (what: string): Result<never, LameduckError> =>
  err(new LameduckError('invalid_config', `metadata for format ${what}`));

/** An endpoint, with its metadata only when the record has one. */
const endpointOf = (address: string, metadata: unknown): ServiceEndpoint =>
  metadata === undefined || metadata === null ? { address } : { address, metadata };

/**
 * etcd's own gRPC naming. Key `<service>/<addr>`; value `{"Op":0,"Addr":...}`, the JSON of
 * `naming.Update` (etcd 3.4's `clientv3/naming/grpc.go`, `Op` 0 adds, 1 deletes) and of
 * `internal.Update` (etcd 3.5+ `client/v3/naming/endpoints`, which reads every put as an add).
 *
 * `Metadata` is written only when given, and only as a string, number or boolean: etcd's
 * resolver (3.4.x to 3.4.40, 3.5.x to 3.5.26, 3.6.x to 3.6.7) copies it into grpc-go's
 * `resolver.Address.Metadata`, and grpc-go hashes or compares addresses with `==` in
 * round_robin up to 1.41 and in 1.71, pick_first 1.47 to 1.71, and grpclb: a JSON object or
 * array there (even `{}`) is a map or slice in Go, and every caller panics with "hash of
 * unhashable type". Scalars and no `Metadata` are safe in every version
 * (test/grpc/go-interop.test.ts shows both with grpc-go 1.33).
 */
const etcdNaming: RegistryCodec = {
  prefix: (service) => `${service}/`,
  checkMetadata(metadata) {
    if (metadata === undefined || isJsonScalar(metadata)) return fits;
    return unfit(
      `'etcd-naming' must be a string, number or boolean, got ${describe(metadata)}: ` +
        "etcd's Go resolver hands it to grpc-go as resolver.Address.Metadata, and a JSON object " +
        'or array there makes grpc-go callers panic (hash of unhashable type); encode a ' +
        'structure as a string (JSON.stringify) if callers need it',
    );
  },
  encode: (service, { address, metadata }) => ({
    key: `${service}/${address}`,
    value: JSON.stringify(
      metadata === undefined
        ? { Op: 0, Addr: address }
        : { Op: 0, Addr: address, Metadata: metadata },
    ),
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
    return ok({ op: 'add', endpoint: endpointOf(address, metadata) });
  },
};

/**
 * go-zero's `core/discov`: key `<service>/<leaseID>` (`makeEtcdKey` in core/discov/clients.go,
 * the lease id in decimal), value a bare `host:port` that go-zero's resolver dials as it is. The
 * record has no room for metadata.
 */
const goZero: RegistryCodec = {
  prefix: (service) => `${service}/`,
  checkMetadata(metadata) {
    if (metadata === undefined) return fits;
    return unfit(
      `'go-zero' cannot be written: its record is the bare host:port; got ${describe(metadata)}`,
    );
  },
  encode: (service, endpoint, { leaseId }) => ({
    key: `${service}/${leaseId}`,
    value: endpoint.address,
  }),
  decode(key, value) {
    const checked = parseHostPort(value);
    if (!checked.ok) return invalid(`value of '${key}' is not host:port`);
    return ok({ op: 'add', endpoint: { address: value } });
  },
};

const kratosNamespace = '/microservices';
const kratosScheme = 'grpc://';

/**
 * kratos's `contrib/registry/etcd` (registry.go): key `/microservices/<name>/<id>`, value the
 * JSON of `registry.ServiceInstance`: `{"id","name","version","metadata","endpoints"}`, every
 * field written (no `omitempty` in kratos), endpoints as URLs (`grpc://host:port`). Its
 * `Metadata` is a `map[string]string`: kratos's reader fails the whole service's read on a value
 * that is not a string, so only strings are written. `version` is the metadata's `version`.
 */
const kratos: RegistryCodec = {
  prefix: (service) => `${kratosNamespace}/${service}/`,
  checkMetadata(metadata) {
    if (metadata === undefined) return fits;
    if (isStringRecord(metadata)) return fits;
    return unfit(
      `'kratos' must be an object of strings (Go's map[string]string), got ${describe(metadata)}: ` +
        "kratos's reader fails to read every instance of the service when one value is not a string",
    );
  },
  encode: (service, { address, metadata }, { id }) => {
    const strings = isStringRecord(metadata) ? metadata : {};
    return {
      key: `${kratosNamespace}/${service}/${id}`,
      value: JSON.stringify({
        id,
        name: service,
        version: strings.version ?? '',
        metadata: strings,
        endpoints: [`${kratosScheme}${address}`],
      }),
    };
  },
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
    return ok({ op: 'add', endpoint: endpointOf(address, record.metadata) });
  },
};

function isJsonScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isStringRecord(value: unknown): value is Readonly<Record<string, string>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** Names a value's shape for an error message, without its contents (which may be private). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const odd = Object.entries(value).find(([, v]) => typeof v !== 'string');
    return odd === undefined ? 'an object' : `an object whose '${odd[0]}' is ${describe(odd[1])}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  return `a ${typeof value}`;
}

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
