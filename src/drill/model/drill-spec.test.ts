import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifest } from '../../k8s/manifest-loader.js';
import { readDrillSpec } from './drill-spec.js';

const deployment = (spec: string, container = '') =>
  loadManifest(
    'app.yaml',
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n${spec}  selector: { matchLabels: { app: web } }\n` +
      '  template:\n    metadata: { labels: { app: web } }\n    spec:\n      containers:\n' +
      `        - name: web\n          image: web:1\n          ports: [{ name: http, containerPort: 8080 }, { name: admin, containerPort: 9901 }]\n${container}` +
      '---\napiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: http }] }\n',
  );

test('the drill reads Kubernetes defaults, named ports, hooks and probes from the manifest', () => {
  const read = readDrillSpec([
    deployment(
      '',
      '          readinessProbe: { httpGet: { path: /readyz, port: admin } }\n' +
        '          lifecycle: { preStop: { httpGet: { path: /lameduck/prestop, port: admin } } }\n' +
        '          env:\n            - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }\n' +
        '            - { name: ADDRESS, value: "$(POD_IP):8080" }\n',
    ),
  ]);
  assert.ok(read.ok, read.ok ? '' : read.error.message);
  const spec = read.value;
  assert.equal(spec.workload.replicas, 1);
  assert.deepEqual(spec.workload.strategy, {
    type: 'RollingUpdate',
    maxSurge: '25%',
    maxUnavailable: '25%',
  });
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.container.servingPort, 8080);
  assert.deepEqual(spec.container.preStop, {
    kind: 'httpGet',
    port: 9901,
    path: '/lameduck/prestop',
    scheme: 'HTTP',
    headers: {},
  });
  assert.equal(spec.container.readinessProbe?.periodSeconds, 10);
  assert.equal(spec.container.readinessProbe?.failureThreshold, 3);
  const env = spec.container.envFor({
    name: 'web-1',
    namespace: 'default',
    podIp: '127.20.1.2',
    hostIp: '127.20.1.1',
    nodeName: 'node-1',
    labels: { app: 'web' },
  });
  assert.deepEqual(env, { ok: true, value: { POD_IP: '127.20.1.2', ADDRESS: '127.20.1.2:8080' } });
});

test('the drill refuses what Kubernetes refuses or it cannot run, naming it', () => {
  const refused = (
    manifest: ReturnType<typeof deployment>,
    pattern: RegExp,
    container?: string,
  ) => {
    const read = readDrillSpec([manifest], { container });
    assert.equal(read.ok, false);
    assert.match((read as { error: Error }).error.message, pattern);
  };
  refused(
    deployment('  strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }\n'),
    /maxSurge and maxUnavailable may not both be 0/,
  );
  refused(deployment('  replicas: 0\n'), /0 replicas: nothing to drill/);
  refused(deployment(''), /no container 'api' \(it has web\)/, 'api');
  refused(
    deployment(
      '',
      '          env: [{ name: DB, valueFrom: { secretKeyRef: { name: db, key: url } } }]\n',
    ),
    /env DB comes from Secret db, which is not among the manifests; add it, or set DB with --env/,
  );
  refused(
    deployment('', '          readinessProbe: { httpGet: { path: /, port: metrics } }\n'),
    /readinessProbe: httpGet port "metrics" is not a container port/,
  );
});
