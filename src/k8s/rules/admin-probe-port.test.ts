import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { adminProbePortRule } from './admin-probe-port.js';

const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, [adminProbePortRule]);
// The app and its hook moved to 9000; the probes were left on 9901.
const moved = cleanLameduckManifest
  .replace(
    'value: "45"',
    'value: "45"\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9000"',
  )
  .replace('- containerPort: 9901', '- containerPort: 9000\n              name: admin')
  .replace(
    'path: /lameduck/prestop\n                port: 9901',
    'path: /lameduck/prestop\n                port: admin',
  );

test('probes of /readyz and /livez on the admin port, by number or name, pass', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
  assert.deepEqual(lint(moved.replaceAll('port: 9901', 'port: admin')).findings, []);
  assert.deepEqual(lint(moved.replaceAll('port: 9901', 'port: 9000')).findings, []);
});

test('probes left on another port than LAMEDUCK_ADMIN_PORT are errors, fixed to the named admin port', () => {
  // Issue 15, item 11: this manifest passed with 0 findings.
  const { findings, manifests } = lint(moved);
  assert.deepEqual(
    findings.map((f) => f.message.split(', but')[0]),
    [
      "container 'passport': the readinessProbe of lameduck’s /readyz goes to port 9901",
      "container 'passport': the livenessProbe of lameduck’s /livez goes to port 9901",
    ],
  );
  assert.match(
    findings[0]?.message ?? '',
    /listens on 9000 \(LAMEDUCK_ADMIN_PORT\).* Probe port admin\.$/,
  );
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, moved.replaceAll('port: 9901', 'port: admin'));
});

test('a probe of another app’s endpoint, or of a container that is not lameduck’s, is left alone', () => {
  const ownHealth = moved.replace(
    'path: /livez\n              port: 9901',
    'path: /healthz\n              port: 8080',
  );
  assert.equal(lint(ownHealth).findings.length, 1, 'only readiness');
  const notLameduck = cleanLameduckManifest
    .replace(/ {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/, '')
    .replace(/ {10}lifecycle:\n[\s\S]*?port: 9901\n(?= {10}readinessProbe)/, '')
    .replaceAll('port: 9901', 'port: 8080');
  assert.deepEqual(lint(notLameduck).findings, []);
});
