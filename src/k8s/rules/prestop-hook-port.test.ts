import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopHookPortRule } from './prestop-hook-port.js';
import { prestopHookRefusedRule } from './prestop-hook-refused.js';

const rules = [prestopHookPortRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);
const hookPort = (port: string, yaml = cleanLameduckManifest) =>
  yaml.replace(
    'path: /lameduck/prestop\n                port: 9901',
    `path: /lameduck/prestop\n                port: ${port}`,
  );
const namedAdmin = cleanLameduckManifest.replace(
  '- containerPort: 9901',
  '- containerPort: 9901\n              name: admin',
);

test('the hook on the admin port, by number or by name, passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
  assert.deepEqual(lint(hookPort('admin', namedAdmin)).findings, []);
  const moved = hookPort('9000').replace(
    'value: "45"',
    'value: "45"\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9000"',
  );
  assert.deepEqual(lint(moved).findings, []);
});

test('the hook on the gRPC port is an error at its port, fixed to the admin port', () => {
  const yaml = hookPort('50051');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /the preStop hook goes to port 50051, but lameduck’s admin server listens on 9901: the kubelet’s call fails at once/,
  );
  assert.equal(
    findings[0]?.location.line,
    yaml.split('\n').indexOf('                port: 50051') + 1,
  );
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.deepEqual(lint(fixed).findings, []);
  assert.match(fixed, /^# a lameduck gRPC service/);
});

test('a port name no container port declares, or LAMEDUCK_ADMIN_PORT elsewhere, is reported', () => {
  const [unknownName] = lint(hookPort('admn', namedAdmin)).findings;
  assert.match(
    unknownName?.message ?? '',
    /goes to port 'admn', which no port of the container declares/,
  );
  const moved = cleanLameduckManifest.replace(
    'value: "45"',
    'value: "45"\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9000"',
  );
  const [stale] = lint(moved).findings;
  assert.match(
    stale?.message ?? '',
    /goes to port 9901, but lameduck’s admin server listens on 9000/,
  );
  // Set where the manifests do not show: not checked.
  const secret = moved.replace(
    'value: "9000"',
    'valueFrom: { secretKeyRef: { name: s, key: port } }',
  );
  assert.deepEqual(lint(secret).findings, []);
});

test('a host on the hook sends the call away from the pod: an error, fixed by removing it', () => {
  const yaml = cleanLameduckManifest.replace(
    'path: /lameduck/prestop\n',
    'path: /lameduck/prestop\n                host: 127.0.0.1\n',
  );
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /sent to host 127\.0\.0\.1, not to the pod/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, cleanLameduckManifest);
  // prestop-hook-refused leaves it to this rule: HOST_IP cannot help a call that goes elsewhere.
  const noHostIp = yaml.replace(/ {12}- name: HOST_IP\n[\s\S]*?status.hostIP\n/, '');
  assert.deepEqual(lintTexts({ 'a.yaml': noHostIp }, [prestopHookRefusedRule]).findings, []);
  // On the host's network, the node's loopback is the pod's.
  const hostNetwork = yaml.replace(
    '      terminationGracePeriodSeconds: 45\n',
    '      terminationGracePeriodSeconds: 45\n      hostNetwork: true\n',
  );
  assert.deepEqual(lint(hostNetwork).findings, []);
});

test('a fix to a declared, named admin port keeps the name', () => {
  // Issue 15, item 6: the fix used to write the number over a name.
  const { findings, manifests } = lint(hookPort('50051', namedAdmin));
  assert.match(findings[0]?.message ?? '', /Send the hook to port admin\.$/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, hookPort('admin', namedAdmin));
});

const execHook = (args: string, env = '') =>
  cleanLameduckManifest
    .replace(
      '              httpGet:\n                path: /lameduck/prestop\n                port: 9901\n',
      `              exec:\n                command: ["node", "node_modules/lameduck/dist/cli/main.js", "prestop"${args}]\n`,
    )
    .replace('value: "45"', `value: "45"${env}`);
const adminPort9000 = '\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9000"';

test('the exec hook reads LAMEDUCK_ADMIN_PORT; a --port elsewhere is an error, fixed by dropping it', () => {
  // Issue 15, item 11: the hook and the app both given LAMEDUCK_ADMIN_PORT agree without flags.
  assert.deepEqual(lint(execHook('', adminPort9000)).findings, []);
  assert.deepEqual(lint(execHook(', "--port", "9000"', adminPort9000)).findings, []);
  for (const flag of [', "--port", "9901"', ', "--port=9901"']) {
    const yaml = execHook(flag, adminPort9000);
    const { findings, manifests } = lint(yaml);
    assert.equal(findings.length, 1, flag);
    assert.match(
      findings[0]?.message ?? '',
      /the exec preStop hook calls port 9901 \(--port\), but lameduck’s admin server listens on 9000/,
    );
    assert.equal(
      findings[0]?.location.line,
      yaml.split('\n').findIndex((l) => l.includes('"prestop"')) + 1,
    );
    const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
    assert.deepEqual(lint(fixed).findings, [], fixed);
  }
});
