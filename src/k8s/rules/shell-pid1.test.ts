import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { shellPid1Rule } from './shell-pid1.js';

const rules = [shellPid1Rule];
const image = 'image: registry.example.com/passport:1.4.2';

/** The clean manifest with `lines` after the image (line 31): the first of them is line 32. */
const withLines = (lines: string) =>
  cleanLameduckManifest.replace(image, `${image}\n${lines.replace(/^/gm, '          ')}`);
const withArgs = (args: readonly string[]) => withLines(`args: ${JSON.stringify(args)}`);

test('a compound shell script as PID 1 is an error, fixed by exec-ing its last command', () => {
  const { findings, manifests } = lintTexts(
    { 'a.yaml': withArgs(['/bin/sh', '-c', 'migrate && node server.js']) },
    rules,
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.ruleId, 'shell-pid1');
  assert.match(
    findings[0]?.message ?? '',
    /shell as PID 1: the shell does not forward SIGTERM .* SIGKILLed at the end of the grace period/,
  );
  assert.match(findings[0]?.message ?? '', /\(`migrate && exec node server.js`\)/);
  assert.equal(findings[0]?.location.line, 32);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /"-c", "migrate && exec node server.js"\]\n/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});

test('command and args are read as one argv: the script in args is found and fixed there', () => {
  const yaml = withLines('command: ["sh", "-c"]\nargs:\n  - cd /app; node server.js;');
  const { findings, manifests } = lintTexts({ 'a.yaml': yaml }, rules);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.location.line, 34);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /args:\n\s+- cd \/app; exec node server.js\n/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});

test('a script where exec cannot safely go before the last command is reported without a fix', () => {
  for (const script of [
    'node server.js | tee /var/log/app.log',
    'if [ -f /app/migrate ]; then /app/migrate; fi; node server.js',
    'node server.js; echo exited',
    'node server.js & node worker.js',
    'node $(cat /etc/app/flags)',
  ]) {
    const { findings } = lintTexts({ 'a.yaml': withArgs(['bash', '-c', script]) }, rules);
    assert.equal(findings.length, 1, script);
    assert.equal(findings[0]?.fix, undefined, script);
  }
});

test('one simple command (bash execs it), an exec at the end, or a forwarding trap pass', () => {
  for (const args of [
    ['/bin/bash', '-c', '/vip-passport'],
    ['sh', '-c', 'node server.js > /var/log/app.log 2>&1'],
    ['sh', '-c', 'cd /app; exec node server.js 2>&1'],
    ['sh', '-c', "trap 'kill -TERM $pid' TERM; node server.js & pid=$!; wait $pid"],
    ['node', 'server.js'],
  ]) {
    assert.deepEqual(lintTexts({ 'a.yaml': withArgs(args) }, rules).findings, [], args.join(' '));
  }
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
});

test('bash 5.1+ execs a list’s last command itself: a warning for bash, an error for sh', () => {
  const bash = lintTexts({ 'a.yaml': withArgs(['bash', '-c', 'ulimit -n 65536; /app']) }, rules);
  assert.equal(bash.findings[0]?.severity, 'warning');
  assert.match(bash.findings[0]?.message ?? '', /bash 5\.1 and later exec the last command/);
  const sh = lintTexts({ 'a.yaml': withArgs(['sh', '-c', 'ulimit -n 65536; /app']) }, rules);
  assert.equal(sh.findings[0]?.severity, 'error');
  // A pipe keeps even bash 5.2 as PID 1.
  const piped = lintTexts({ 'a.yaml': withArgs(['bash', '-c', '/app | tee log']) }, rules);
  assert.equal(piped.findings[0]?.severity, 'error');
});

test('the fix puts exec after the last command’s assignments, where the shell accepts it', () => {
  const { findings, manifests } = lintTexts(
    { 'a.yaml': withArgs(['sh', '-c', 'cd /srv && GOMAXPROCS=2 LANG=C /app']) },
    rules,
  );
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /"cd \/srv && GOMAXPROCS=2 LANG=C exec \/app"/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});
