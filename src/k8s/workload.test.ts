import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envValue, readEnvSourceData } from './container-env.js';
import { loadManifest } from './manifest-loader.js';
import { readWorkload } from './workload.js';

/** A Deployment `app` up to its one container's name; the test writes the rest. */
const appDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  template:
    spec:
      containers:
        - name: app
`;

const manifest = loadManifest(
  'app.yaml',
  `${appDeployment}          envFrom:
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
---
apiVersion: v1
kind: ConfigMap
metadata: { name: first }
data: { ORDER: first, ONLY_FIRST: one, SHARED: first }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: second }
data:
  ORDER: second
`,
);

const [deployment, ...others] = manifest.objects;
assert.ok(deployment);
const sources = new Map(
  others.map((object) => [
    `${object.kind} ${object.name}`,
    { object, data: readEnvSourceData(object)?.data ?? {} },
  ]),
);
/** What `envValue` says of a value from `source`, set on `line` of the manifest. */
const fromSource = (value: string, source: string, line: number, column: number) => ({
  kind: 'value',
  value,
  origin: { source, location: { file: 'app.yaml', line, column } },
});

test('env resolves as the kubelet does: envFrom in order, then env entries, prefixes applied', () => {
  const workload = readWorkload(deployment, (kind, name) => sources.get(`${kind} ${name}`));
  const container = workload?.containers[0];
  assert.ok(container);
  assert.deepEqual(envValue(container, 'ORDER'), fromSource('second', 'ConfigMap second', 40, 10));
  assert.deepEqual(envValue(container, 'SHARED'), { kind: 'value', value: 'from-env' });
  assert.deepEqual(envValue(container, 'FROM_KEY'), fromSource('one', 'ConfigMap first', 34, 35));
  // A Secret's stringData wins over its base64 data, as the API server merges them.
  assert.deepEqual(
    envValue(container, 'DB_PASSWORD'),
    fromSource('from-string-data', 'Secret db', 29, 25),
  );
  assert.deepEqual(envValue(container, 'DB_USER'), fromSource('u', 'Secret db', 28, 39));
  assert.deepEqual(envValue(container, 'NODE'), {
    kind: 'elsewhere',
    from: 'fieldRef spec.nodeName',
  });
  // A required key its ConfigMap lacks: the container would not start; the value stays unset.
  assert.deepEqual(envValue(container, 'MISSING_KEY'), {
    kind: 'unset',
    maybeFrom: ['ConfigMap absent'],
  });
  assert.deepEqual(
    container.envMissingKeys.map(({ name, source, key }) => [name, source, key]),
    [['MISSING_KEY', 'ConfigMap first', 'nope']],
  );
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

test('values: `$(NAME)` expanded from earlier names, `$$` escaped, empty value and optional keys', () => {
  const { objects } = loadManifest(
    'app.yaml',
    `${appDeployment}          envFrom: [{ configMapRef: { name: base } }]
          env:
            - { name: GRACE, value: "40" }
            - { name: LAMEDUCK_GRACE_PERIOD_SECONDS, value: "$(GRACE)" }
            - { name: TEXT, value: "$$(GRACE) $(LATER) $(GRACE" }
            - { name: LATER, value: x }
            - { name: HOST, valueFrom: { fieldRef: { fieldPath: status.hostIP } } }
            - { name: URL, value: "http://$(HOST):9901" }
            - { name: NULLED, value: }
            - { name: FROM_BASE, valueFrom: { configMapKeyRef: { name: base, key: nope, optional: true } } }
            - { name: TWICE, value: first }
            - { name: TWICE, value: last }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: base }
data: { FROM_BASE: kept }
`,
  );
  const [deployment, base] = objects;
  assert.ok(deployment && base);
  const lookup = (kind: string, name: string) =>
    kind === 'ConfigMap' && name === 'base'
      ? { object: base, data: readEnvSourceData(base)?.data ?? {} }
      : undefined;
  const container = readWorkload(deployment, lookup)?.containers[0];
  assert.ok(container);
  const variable = (name: string) => envValue(container, name);
  assert.deepEqual(variable('LAMEDUCK_GRACE_PERIOD_SECONDS'), { kind: 'value', value: '40' });
  // Only names defined before expand; `$$` escapes; an unclosed reference stays.
  assert.deepEqual(variable('TEXT'), { kind: 'value', value: '$(GRACE) $(LATER) $(GRACE' });
  assert.deepEqual(variable('URL'), {
    kind: 'elsewhere',
    from: '$(HOST), from fieldRef status.hostIP',
  });
  assert.deepEqual(variable('NULLED'), { kind: 'value', value: '' });
  // An optional key that is missing sets nothing: the envFrom value stays.
  assert.equal(container.env.get('FROM_BASE'), 'kept');
  assert.deepEqual(container.envMissingKeys, []);
  // The last entry of a name is the one the kubelet keeps.
  assert.deepEqual(variable('TWICE'), { kind: 'value', value: 'last' });
  assert.equal(container.envIndexes.get('TWICE'), 9);
});

test('a Secret’s data that is not base64 is not decoded into garbage', () => {
  const { objects } = loadManifest(
    's.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata: { grace: "40", ok: NDA= }\n',
  );
  const [secret] = objects;
  assert.ok(secret);
  assert.deepEqual(readEnvSourceData(secret), { data: { ok: '40' }, invalidKeys: ['grace'] });
});
