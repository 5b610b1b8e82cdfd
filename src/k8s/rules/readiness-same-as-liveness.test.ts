import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  shopManifest,
} from '../../../test/helpers/lint-kit.js';
import { readinessSameAsLivenessRule } from './readiness-same-as-liveness.js';

const rules = [readinessSameAsLivenessRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

/** Another app whose probes share one handler; `liveness` is spliced into its liveness probe. */
const plainApp = (liveness: string) =>
  shopManifest({
    container:
      '          readinessProbe:\n            httpGet: { path: /health, port: 8080 }\n' +
      '            periodSeconds: 5\n          livenessProbe:\n' +
      `            httpGet: { port: 8080, path: /health }\n            ${liveness}\n`,
  });

test('the recommended manifest passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('lameduck: liveness on /readyz is a warning, fixed to /livez', () => {
  const yaml = cleanLameduckManifest.replace('path: /livez', 'path: /readyz');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(findings[0]?.message ?? '', /readiness and liveness probe the same handler/);
  assert.match(
    findings[0]?.message ?? '',
    /\/readyz is 503 while the service starts or waits on a readiness gate/,
  );
  assert.equal(findings[0]?.location.line, 54);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, cleanLameduckManifest);
  assert.deepEqual(lint(fixed).findings, []);
});

test('lameduck: readiness on /livez gets lameduck’s readiness probe', () => {
  const yaml = cleanLameduckManifest.replace('path: /readyz', 'path: /livez');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /readinessProbe:\n {12}httpGet:\n {14}path: \/readyz\n/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('another app: liveness giving up no later than readiness is a warning, with no fix', () => {
  // readiness 3 × 5 s, liveness 3 × 5 s: the restart comes with the removal from rotation.
  const { findings } = lint(plainApp('periodSeconds: 5'));
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /liveness gives up after 15 s, no later than readiness \(15 s\): a slow pod is restarted/,
  );
  assert.equal(findings[0]?.location.line, 16);
  assert.equal(findings[0]?.fix, undefined);
});

test('another app: the same endpoint with a later liveness (the documented pattern) passes', () => {
  // liveness 3 × 10 s (the defaults) > readiness 3 × 5 s.
  assert.deepEqual(lint(plainApp('timeoutSeconds: 2')).findings, []);
  // Different handlers pass whatever their timing.
  assert.deepEqual(
    lint(
      plainApp('periodSeconds: 5').replace('port: 8080, path: /health', 'port: 8080, path: /live'),
    ).findings,
    [],
  );
});

test('a port by name and the same port by number are the same handler', () => {
  const named = plainApp('periodSeconds: 5')
    .replace(
      'image: shop:1\n',
      'image: shop:1\n          ports: [{ name: http, containerPort: 8080 }]\n',
    )
    .replace('port: 8080, path: /health', 'port: http, path: /health');
  assert.equal(lint(named).findings.length, 1);
  // A name that is another port is another handler.
  const other = named.replace('containerPort: 8080', 'containerPort: 8081');
  assert.deepEqual(lint(other).findings, []);
});
