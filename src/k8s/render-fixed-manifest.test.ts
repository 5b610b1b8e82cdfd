import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import {
  cleanLameduckManifest,
  lintTexts,
  overBudgetManifest,
} from '../../test/helpers/lint-kit.js';
import { renderFixedManifest } from './render-fixed-manifest.js';
import { lintRules } from './rules/index.js';

/** `text` linted as `app.yaml` with every fix applied: the fixed text, or why it was refused. */
function fixText(text: string) {
  const { findings, manifests } = lintTexts({ 'app.yaml': text }, lintRules);
  for (const finding of findings) finding.fix?.apply();
  const [manifest] = manifests;
  assert.ok(manifest);
  return renderFixedManifest(manifest);
}

/** `text` as written with 4 spaces a level. */
function indentedBy4(text: string): string {
  return parseAllDocuments(text)
    .map((document) => document.toString({ indent: 4 }))
    .join('');
}

test('a fixed line is carried into a file indented by 4, its octal modes and spacing kept', () => {
  const quirks = indentedBy4(overBudgetManifest).replace(
    '        replicas: 3\n',
    '        replicas:   3\n        revisionHistoryLimit: 010\n',
  );
  assert.deepEqual(fixText(quirks), {
    ok: true,
    value: quirks.replace('value: "60"', 'value: "45"'),
  });
});

test('an added PodDisruptionBudget is appended, every byte before it kept', () => {
  const [deployment = '', service = ''] = cleanLameduckManifest.split('---\n');
  const original = `${deployment}---\n${service.replace('  ports:', '  ports:  ')}\n\n`;
  const fixed = fixText(original);
  assert.ok(fixed.ok, fixed.ok ? '' : fixed.error);
  assert.ok(fixed.value.startsWith(original), fixed.value);
  const added = parse(fixed.value.slice(original.length)) as { kind: string };
  assert.equal(added.kind, 'PodDisruptionBudget');
});

test('a fix whose line the printer would write in another form is refused, naming it', () => {
  const spaced = overBudgetManifest.replace('value: "60"', 'value:   "60"');
  const line = spaced.split('\n').findIndex((text) => text.includes('value:   "60"')) + 1;
  assert.deepEqual(fixText(spaced), {
    ok: false,
    error:
      `the edit reaches line ${line} ("              value:   \\"60\\""), which lameduck would ` +
      'write in another form: make the fix by hand',
  });
});

test('a replaced node goes, in whatever form it was written; a rewritten line beside an edit stays', () => {
  // The printer writes the flow sequence `[ "sh", "-c", "sleep 30" ]`, padded like the mappings.
  const hook = '              exec:\n                command: ["sh", "-c", "sleep 30"]\n';
  const yaml =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\nspec:\n  template:\n' +
    '    metadata: { labels: { app: api } }\n    spec:\n      containers:\n        - name: api\n' +
    `          image: api:1\n          lifecycle:\n            preStop:\n${hook}`;
  assert.deepEqual(fixText(yaml), {
    ok: true,
    value: yaml.replace(
      hook,
      '              sleep:\n                seconds: 30\n      terminationGracePeriodSeconds: 42\n',
    ),
  });
  // Beside the edit, the line stays as written: the printer would pad `{ seconds: 30 }`.
  const tight = yaml.replace(hook, '              sleep: {seconds: 30}\n');
  assert.deepEqual(fixText(tight), {
    ok: true,
    value: `${tight}      terminationGracePeriodSeconds: 42\n`,
  });
});
