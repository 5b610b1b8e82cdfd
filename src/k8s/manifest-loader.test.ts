import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cleanLameduckManifest } from '../../test/helpers/lint-kit.js';
import { lintManifests } from './lint.js';
import { loadManifest, renderManifest } from './manifest-loader.js';
import { lintRules } from './rules/index.js';

const incident = readFileSync(
  new URL('../../examples/k8s/incident/vip-passport.yaml', import.meta.url),
  'utf8',
);

function lintText(text: string) {
  return lintManifests([loadManifest('fuzz.yaml', text)], {
    rules: lintRules,
    disabled: new Set(),
    settings: { k8sVersion: [1, 35] },
  });
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('objects know their file and line; List items are objects too', () => {
  const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: { name: a }
  - apiVersion: v1
    kind: Service
    metadata:
      name: b
`;
  const { objects, problems } = loadManifest('list.yaml', list);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    objects.map((o) => [o.kind, o.name, o.locate(['metadata', 'name']).line]),
    [
      ['Service', 'a', 6],
      ['Service', 'b', 10],
    ],
  );
});

test('a manifest renders back as it was written, both sequence styles, comments included', () => {
  for (const text of [cleanLameduckManifest, incident]) {
    assert.equal(renderManifest(loadManifest('a.yaml', text)), text);
  }
});

test('JSON manifests are read like YAML', () => {
  const { objects } = loadManifest(
    'svc.json',
    '{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"selector":{"app":"x"}}}',
  );
  assert.equal(objects[0]?.name, 'x');
});

test('truncated manifests never throw, and every finding has a file and line', () => {
  for (const text of [cleanLameduckManifest, incident]) {
    for (let length = 0; length <= text.length; length += 3) {
      const report = lintText(text.slice(0, length));
      for (const finding of report.findings) {
        assert.equal(finding.location.file, 'fuzz.yaml');
        assert.ok(finding.location.line >= 1, `line ${finding.location.line} at length ${length}`);
      }
    }
  }
});

test('mutated manifests (bytes replaced, swapped, deleted) never throw', () => {
  const alphabet = ' \n\t:-[]{}"\'#&*!|>%@`,?0123456789abcdefgh';
  for (let seed = 1; seed <= 400; seed += 1) {
    const next = random(seed);
    const base = seed % 2 === 0 ? cleanLameduckManifest : incident;
    const chars = [...base];
    for (let edits = 1 + Math.floor(next() * 8); edits > 0; edits -= 1) {
      const at = Math.floor(next() * chars.length);
      const choice = next();
      if (choice < 0.4) chars[at] = alphabet[Math.floor(next() * alphabet.length)] ?? ' ';
      else if (choice < 0.7) chars.splice(at, 1 + Math.floor(next() * 20));
      else chars.splice(at, 0, ...base.slice(Math.floor(next() * base.length)).slice(0, 30));
    }
    assert.doesNotThrow(() => lintText(chars.join('')), `seed ${seed}`);
  }
});

test('values of the wrong type read as absent, not as a crash', () => {
  const odd = `apiVersion: apps/v1
kind: Deployment
metadata: { name: odd }
spec:
  replicas: "three"
  template:
    metadata: { labels: [1, 2] }
    spec:
      terminationGracePeriodSeconds: soon
      containers:
        - name: 7
          env: { not: a list }
          lifecycle: { preStop: [] }
          readinessProbe: yes
        - just a string
`;
  assert.doesNotThrow(() => lintText(odd));
});

test('rendering keeps the file’s style: CRLF, tight flow collections, long lines', () => {
  const long = `"${'x'.repeat(120)}"`;
  const text =
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: a}}\n' +
    `data:\n  long: ${long}\n  list: [a, b]\n`;
  for (const [name, input] of [
    ['LF', text],
    ['CRLF', text.replace(/\n/g, '\r\n')],
  ] as const) {
    const manifest = loadManifest('a.yaml', input);
    assert.equal(renderManifest(manifest), input, name);
    manifest.objects[0]?.document.setIn(['data', 'added'], 'yes');
    const edited = renderManifest(manifest);
    assert.equal(edited, input.replace(/(list: \[a, b\])(\r?\n)/, '$1$2  added: yes$2'), name);
  }
});

test('a JSON manifest is written back as JSON; an added object makes it a List', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } };
  const manifest = loadManifest('a.json', `${JSON.stringify(deployment, null, 4)}\n`);
  const [object] = manifest.objects;
  assert.ok(object);
  object.document.setIn(['spec'], object.document.createNode({ replicas: 2 }));
  assert.equal(
    renderManifest(manifest),
    `${JSON.stringify({ ...deployment, spec: { replicas: 2 } }, null, 4)}\n`,
  );
  object.appendToFile({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'a' },
  });
  const list = JSON.parse(renderManifest(manifest)) as {
    kind: string;
    items: Array<{ kind: string }>;
  };
  assert.equal(list.kind, 'List');
  assert.deepEqual(
    list.items.map((item) => item.kind),
    ['Deployment', 'PodDisruptionBudget'],
  );
  // And it reads back: the List is unrolled into its objects.
  assert.equal(loadManifest('a.json', renderManifest(manifest)).objects.length, 2);
});
