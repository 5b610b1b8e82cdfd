import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostPort, type RegistryFormat, registryCodec, registryFormats } from './formats.js';

const endpoint = { address: '10.0.0.7:50051' };
const ids = { leaseId: '7587864068988009472', id: 'pod-1' };

test('etcd-naming writes <service>/<addr> with the naming.Update JSON Go reads', () => {
  const codec = registryCodec('etcd-naming');
  const record = codec.encode('echo', endpoint, ids);
  assert.equal(record.key, 'echo/10.0.0.7:50051');
  // No Metadata at all: `{}` would be a map in Go, and grpc-go callers panic on it.
  assert.equal(record.value, '{"Op":0,"Addr":"10.0.0.7:50051"}');
  assert.equal(
    codec.encode('echo', { ...endpoint, metadata: 'zone-a' }, ids).value,
    '{"Op":0,"Addr":"10.0.0.7:50051","Metadata":"zone-a"}',
  );
  assert.equal(codec.prefix('echo'), 'echo/');
});

test('each format accepts only the metadata shapes its Go readers survive', () => {
  const shapes: Record<string, unknown> = {
    none: undefined,
    string: 'v1',
    number: 3,
    boolean: true,
    'string object': { zone: 'a' },
    'mixed object': { zone: 'a', replicas: 3 },
    'empty object': {},
    array: ['a'],
    null: null,
    'not finite': Number.NaN,
  };
  const accepted = (format: RegistryFormat) =>
    Object.entries(shapes)
      .filter(([, metadata]) => registryCodec(format).checkMetadata(metadata).ok)
      .map(([name]) => name);
  assert.deepEqual(accepted('etcd-naming'), ['none', 'string', 'number', 'boolean']);
  assert.deepEqual(accepted('kratos'), ['none', 'string object', 'empty object']);
  assert.deepEqual(accepted('go-zero'), ['none']);
});

test('etcd-naming reads etcd 3.5 endpoints (no Op), deletions (Op 1) and refuses the rest', () => {
  const codec = registryCodec('etcd-naming');
  assert.deepEqual(codec.decode('echo/a', '{"Addr":"1.2.3.4:80","Metadata":null}'), {
    ok: true,
    value: { op: 'add', endpoint: { address: '1.2.3.4:80' } },
  });
  assert.deepEqual(codec.decode('echo/a', '{"Addr":"1.2.3.4:80","Metadata":{"w":1}}'), {
    ok: true,
    value: { op: 'add', endpoint: { address: '1.2.3.4:80', metadata: { w: 1 } } },
  });
  assert.deepEqual(codec.decode('echo/a', '{"Op":1,"Addr":"1.2.3.4:80"}'), {
    ok: true,
    value: { op: 'delete', address: '1.2.3.4:80' },
  });
  for (const garbage of [
    '',
    'not json',
    '[]',
    '{"Addr":5}',
    '{"Op":7,"Addr":"1.2.3.4:80"}',
    '{"Addr":"nohost"}',
  ]) {
    const decoded = codec.decode('echo/x', garbage);
    assert.equal(decoded.ok, false, `accepted ${JSON.stringify(garbage)}`);
  }
});

test('go-zero writes <service>/<leaseID> with host:port', () => {
  const codec = registryCodec('go-zero');
  assert.deepEqual(codec.encode('echo.rpc', endpoint, ids), {
    key: 'echo.rpc/7587864068988009472',
    value: '10.0.0.7:50051',
  });
  assert.deepEqual(codec.decode('echo.rpc/1', '[::1]:8080'), {
    ok: true,
    value: { op: 'add', endpoint: { address: '[::1]:8080' } },
  });
  assert.equal(codec.decode('echo.rpc/1', 'http://x:1').ok, false);
  assert.equal(codec.decode('echo.rpc/1', '1.2.3.4:99999').ok, false);
});

test('kratos writes /microservices/<name>/<id> with a ServiceInstance and grpc:// endpoints', () => {
  const codec = registryCodec('kratos');
  const record = codec.encode(
    'echo',
    { address: '10.0.0.7:9000', metadata: { version: 'v2' } },
    ids,
  );
  assert.equal(record.key, '/microservices/echo/pod-1');
  assert.deepEqual(JSON.parse(record.value), {
    id: 'pod-1',
    name: 'echo',
    version: 'v2',
    metadata: { version: 'v2' },
    endpoints: ['grpc://10.0.0.7:9000'],
  });
  assert.equal(codec.prefix('echo'), '/microservices/echo/');
  assert.deepEqual(
    codec.decode(
      'k',
      '{"id":"x","endpoints":["http://10.0.0.7:8000","grpc://10.0.0.7:9000?isSecure=false"]}',
    ),
    { ok: true, value: { op: 'add', endpoint: { address: '10.0.0.7:9000' } } },
  );
  assert.equal(codec.decode('k', '{"endpoints":["http://10.0.0.7:8000"]}').ok, false);
});

test('every format reads back what it writes', () => {
  for (const format of registryFormats) {
    const codec = registryCodec(format);
    const record = codec.encode('svc', endpoint, ids);
    assert.ok(record.key.startsWith(codec.prefix('svc')), format);
    const decoded = codec.decode(record.key, record.value);
    assert.ok(decoded.ok && decoded.value.op === 'add', format);
    assert.equal(decoded.value.endpoint.address, endpoint.address);
  }
});

test('host:port is checked, IPv6 in brackets', () => {
  assert.deepEqual(parseHostPort('[fe80::1]:443'), {
    ok: true,
    value: { host: 'fe80::1', port: 443 },
  });
  for (const bad of ['1.2.3.4', ':80', '1.2.3.4:0', 'a b:1', 'fe80::1:443', 'host:65536']) {
    assert.equal(parseHostPort(bad).ok, false, bad);
  }
});
