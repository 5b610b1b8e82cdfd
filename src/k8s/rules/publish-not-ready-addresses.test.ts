import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { publishNotReadyAddressesRule } from './publish-not-ready-addresses.js';

const rules = [publishNotReadyAddressesRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);
const withServiceSpec = (lines: string) =>
  cleanLameduckManifest.replace(
    '  selector:\n    app: passport\n',
    `${lines}  selector:\n    app: passport\n`,
  );

test('the recommended manifest passes, and so does publishNotReadyAddresses: false', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
  assert.deepEqual(lint(withServiceSpec('  publishNotReadyAddresses: false\n')).findings, []);
});

test('a Service publishing not-ready pods is an error at the Service’s field', () => {
  const yaml = withServiceSpec('  publishNotReadyAddresses: true\n');
  const { findings } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'error');
  assert.equal(findings[0]?.object, 'Deployment/passport');
  assert.match(
    findings[0]?.message ?? '',
    /Service passport sets publishNotReadyAddresses, so Deployment passport's pods stay in its endpoints .* through their whole shutdown/,
  );
  const line = yaml.split('\n').indexOf('  publishNotReadyAddresses: true') + 1;
  assert.deepEqual(findings[0]?.location, { file: 'a.yaml', line, column: 29 });
});

test('on a headless Service (peer discovery) it is a note', () => {
  const { findings } = lint(
    withServiceSpec('  clusterIP: None\n  publishNotReadyAddresses: true\n'),
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'info');
  assert.match(findings[0]?.message ?? '', /Fine for peer discovery; callers that send requests/);
});
