import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { serviceTargetPortRule } from './service-target-port.js';

const rules = [serviceTargetPortRule];
const lint = (files: Record<string, string>) => lintTexts(files, rules).findings;
const named = cleanLameduckManifest.replace(
  '- containerPort: 50051',
  '- containerPort: 50051\n              name: grpc',
);
const targeting = (yaml: string, target: string) =>
  yaml.replace('    - port: 50051', `    - port: 50051\n      targetPort: ${target}`);

test('a named targetPort the pods declare, or a number, passes', () => {
  assert.deepEqual(lint({ 'a.yaml': targeting(named, 'grpc') }), []);
  assert.deepEqual(lint({ 'a.yaml': targeting(cleanLameduckManifest, '50051') }), []);
  assert.deepEqual(lint({ 'a.yaml': cleanLameduckManifest }), []);
});

test('a named targetPort no container declares is an error at the Service’s targetPort', () => {
  const yaml = targeting(named, 'gprc');
  const findings = lint({ 'a.yaml': yaml });
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'error');
  assert.match(
    findings[0]?.message ?? '',
    /Service passport sends to targetPort 'gprc', but no container of Deployment passport declares a port of that name \(named: 'grpc'\)/,
  );
  const line = yaml.split('\n').indexOf('      targetPort: gprc') + 1;
  assert.deepEqual(findings[0]?.location, { file: 'a.yaml', line, column: 19 });
  const unnamed = lint({ 'a.yaml': targeting(cleanLameduckManifest, 'grpc') });
  assert.match(unnamed[0]?.message ?? '', /\(none is named\)/);
});

test('a Service in another file is matched to the pods it selects', () => {
  const [deployment = '', service = ''] = targeting(named, 'http').split(
    /---\n(?=apiVersion: v1\nkind: Service)/,
  );
  const findings = lint({ 'deploy.yaml': deployment, 'service.yaml': service });
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.location.file, 'service.yaml');
});

test('a port on a native sidecar counts; one on a plain init container, long gone, does not', () => {
  const withInit = (restartPolicy: string) =>
    targeting(cleanLameduckManifest, 'metrics').replace(
      '      containers:\n',
      `      initContainers:\n        - name: proxy\n          image: proxy:1\n${restartPolicy}` +
        '          ports: [{ name: metrics, containerPort: 9090 }]\n      containers:\n',
    );
  assert.deepEqual(lint({ 'a.yaml': withInit('          restartPolicy: Always\n') }), []);
  assert.equal(lint({ 'a.yaml': withInit('') }).length, 1);
});

test('the name must match with its protocol; a quoted number is rejected by the API server', () => {
  const udp = named.replace('name: grpc', 'name: grpc\n              protocol: UDP');
  const [protocol] = lint({ 'a.yaml': targeting(udp, 'grpc') });
  assert.match(protocol?.message ?? '', /declares 'grpc' for UDP, and this Service port is TCP/);
  const udpService = targeting(udp, 'grpc').replace(
    'targetPort: grpc',
    'targetPort: grpc\n      protocol: UDP',
  );
  assert.deepEqual(lint({ 'a.yaml': udpService }), []);
  const [quoted] = lint({ 'a.yaml': targeting(cleanLameduckManifest, '"50051"') });
  assert.match(
    quoted?.message ?? '',
    /targetPort "50051" is a string, so it is read as a port name/,
  );
});
