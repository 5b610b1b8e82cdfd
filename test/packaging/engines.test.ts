/**
 * `npm ci` on a fresh machine prints no EBADENGINE (issue 15, item 9): every package the lockfile
 * installs, dev dependencies included, runs on the Node this repository is developed with. Users
 * need Node 20.3 (package.json `engines`); the dev tools need 20.18.1 (undici 7, the HTTP client
 * the tests use), which `devEngines` says and npm checks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import semver from 'semver';

const readJson = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

test('every package in the lockfile supports the Node the repository is developed with', () => {
  const manifest = readJson('package.json');
  const lock = readJson('package-lock.json') as {
    packages: Record<string, { engines?: { node?: string } }>;
  };
  const devFloor = semver.minVersion(manifest.devEngines.runtime.version)?.version ?? '';
  assert.equal(devFloor, '20.18.1');
  assert.ok(semver.satisfies(process.version, manifest.devEngines.runtime.version));
  const refusing = Object.entries(lock.packages)
    .filter(([name, entry]) => name !== '' && entry.engines?.node !== undefined)
    .filter(([, entry]) => !semver.satisfies(devFloor, entry.engines?.node ?? '*'))
    .map(([name, entry]) => `${name} needs node ${entry.engines?.node}`);
  assert.deepEqual(refusing, []);
});

test('the packages a user installs (dependencies) support the Node lameduck claims', () => {
  const manifest = readJson('package.json');
  const userFloor = semver.minVersion(manifest.engines.node)?.version ?? '';
  assert.equal(userFloor, '20.3.0');
  const lock = readJson('package-lock.json') as {
    packages: Record<string, { engines?: { node?: string }; dev?: boolean; peer?: boolean }>;
  };
  const refusing = Object.entries(lock.packages)
    .filter(([name, entry]) => name !== '' && entry.dev !== true && entry.engines?.node)
    .filter(([, entry]) => !semver.satisfies(userFloor, entry.engines?.node ?? '*'))
    .map(([name, entry]) => `${name} needs node ${entry.engines?.node}`);
  assert.deepEqual(refusing, []);
});
