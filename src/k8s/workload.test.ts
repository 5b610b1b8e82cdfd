import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifest } from './manifest-loader.js';
import { envValue, readEnvSourceData, readWorkload } from './workload.js';

const manifest = loadManifest(
  'app.yaml',
  `apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  template:
    spec:
      containers:
        - name: app
          envFrom:
            - configMapRef: { name: first }
            - configMapRef: { name: second }
            - prefix: DB_
              secretRef: { name: db }
            - configMapRef: { name: absent }
          env:
            - { name: SHARED, value: from-env }
            - name: NODE
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
            - name: FROM_KEY
              valueFrom: { configMapKeyRef: { name: first, key: ONLY_FIRST } }
            - name: MISSING_KEY
              valueFrom: { configMapKeyRef: { name: first, key: nope } }
            - name: EMPTY
---
apiVersion: v1
kind: Secret
metadata: { name: db }
data: { PASSWORD: ${Buffer.from('from-data').toString('base64')}, USER: ${Buffer.from('u').toString('base64')} }
stringData: { PASSWORD: from-string-data }
`,
);

const [deployment, secret] = manifest.objects;
assert.ok(deployment && secret);

const sources: Record<string, Record<string, string>> = {
  'ConfigMap first': { ORDER: 'first', ONLY_FIRST: 'one', SHARED: 'first' },
  'ConfigMap second': { ORDER: 'second' },
  'Secret db': readEnvSourceData(secret) ?? {},
};

test('env resolves as the kubelet does: envFrom in order, then env entries, prefixes applied', () => {
  const workload = readWorkload(deployment, (kind, name) => sources[`${kind} ${name}`]);
  const container = workload?.containers[0];
  assert.ok(container);
  assert.deepEqual(envValue(container, 'ORDER'), { kind: 'value', value: 'second' });
  assert.deepEqual(envValue(container, 'SHARED'), { kind: 'value', value: 'from-env' });
  assert.deepEqual(envValue(container, 'FROM_KEY'), { kind: 'value', value: 'one' });
  // A Secret's stringData wins over its base64 data, as the API server merges them.
  assert.deepEqual(envValue(container, 'DB_PASSWORD'), {
    kind: 'value',
    value: 'from-string-data',
  });
  assert.deepEqual(envValue(container, 'DB_USER'), { kind: 'value', value: 'u' });
  assert.deepEqual(envValue(container, 'NODE'), {
    kind: 'elsewhere',
    from: 'fieldRef spec.nodeName',
  });
  assert.deepEqual(envValue(container, 'MISSING_KEY'), {
    kind: 'elsewhere',
    from: 'ConfigMap first',
  });
  assert.deepEqual(envValue(container, 'EMPTY'), { kind: 'value', value: '' });
  assert.deepEqual(envValue(container, 'NOT_SET'), {
    kind: 'unset',
    maybeFrom: ['ConfigMap absent'],
  });
});

test('without a lookup, envFrom sources are unresolved and key refs are set elsewhere', () => {
  const container = readWorkload(deployment)?.containers[0];
  assert.ok(container);
  assert.deepEqual(container.envFromUnresolved, [
    'ConfigMap first',
    'ConfigMap second',
    'Secret db',
    'ConfigMap absent',
  ]);
  assert.deepEqual(envValue(container, 'FROM_KEY'), { kind: 'elsewhere', from: 'ConfigMap first' });
});
