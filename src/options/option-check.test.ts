import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKnownOptions, closestName, describeValue } from './option-check.js';

test('describeValue names the type where String() would hide it', () => {
  assert.equal(describeValue('45'), "a string '45'");
  assert.equal(describeValue(45), '45');
  assert.equal(describeValue(Number.NaN), 'NaN');
  assert.equal(describeValue(true), 'the boolean true');
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue([1]), 'an array');
  assert.equal(describeValue({}), 'an object');
  assert.equal(
    describeValue(() => 1),
    'a function',
  );
});

test('closestName suggests a name within a typo, else nothing', () => {
  const names = ['gracePeriodSeconds', 'safetyMarginMs', 'minLameDuckMs', 'maxLameDuckMs'];
  assert.equal(closestName('gracePeriodSecond', names), 'gracePeriodSeconds');
  assert.equal(closestName('graceperiodseconds', names), 'gracePeriodSeconds');
  assert.equal(closestName('minLameduckMS', names), 'minLameDuckMs');
  assert.equal(closestName('gracePeriod', names), undefined);
  assert.equal(closestName('logger', names), undefined);
});

test('checkKnownOptions refuses the first unknown key and passes known ones', () => {
  assert.deepEqual(checkKnownOptions({ port: 1, host: 'x' }, ['port', 'host']), {
    ok: true,
    value: undefined,
  });
  assert.deepEqual(checkKnownOptions({ hots: 'x' }, ['port', 'host'], 'admin.'), {
    ok: false,
    error: 'unknown option admin.hots: did you mean admin.host?',
  });
});
