/**
 * The README's snippets run as written (issue 15, item 8): each TypeScript or YAML block of
 * README.md and examples/http-frameworks/README.md is a file under examples/, named by the
 * `<!-- example: path -->` line above it, and equal to it; `npx tsc` type-checks those files
 * (`lameduck` resolves to src/ through tsconfig's paths, as tsx does when they run); and each
 * is started here as a user would start it.
 *
 * 1. Every TypeScript or YAML block is an example file, byte for byte.
 * 2. The HTTP examples (plain, with a participant of one's own, with a readiness gate, Express,
 *    Koa, Fastify) serve a request, then a SIGTERM drains them: exit 0, every participant
 *    stopped unforced.
 * 3. The gRPC example answers a call and ends its Watch stream with OK at the drain.
 * 4. The etcd examples: the server registers in a local etcd, the caller reaches it through
 *    etcd:///echo, and the server drains on SIGTERM.
 * 5. The manifest the README deploys with passes `lameduck lint` without a finding.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { WebSocket } from 'undici';
import { Echo, type SayReply } from '../../examples/grpc/echo-service.js';
import { findFreePorts, startLocalEtcd } from '../../src/etcd/index.js';
import { type ChildService, startChildService } from '../helpers/child-service.js';
import { observeStream } from '../helpers/grpc-echo.js';
import { httpGet } from '../helpers/http-get.js';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';
import { waitUntil } from '../helpers/wait-until.js';

const repo = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), 'utf8');

/** The fenced blocks of a markdown text: language, content, and the example line above, if any. */
function codeBlocks(markdown: string) {
  const blocks: Array<{ lang: string; text: string; example: string | undefined; line: number }> =
    [];
  const pattern = /(?:<!-- example: (\S+) -->\n\n)?```(\w*)\n([\s\S]*?)```\n/g;
  for (const match of markdown.matchAll(pattern)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    blocks.push({ lang: match[2] ?? '', text: match[3] ?? '', example: match[1], line });
  }
  return blocks;
}

test('every TypeScript and YAML block of the READMEs is an example file, as written', () => {
  // 1.
  for (const readme of ['README.md', 'examples/http-frameworks/README.md']) {
    const blocks = codeBlocks(read(readme)).filter((b) => ['ts', 'yaml'].includes(b.lang));
    assert.ok(blocks.length > 0, readme);
    for (const block of blocks) {
      const where = `${readme}:${block.line}`;
      assert.ok(
        block.example !== undefined,
        `${where}: a ${block.lang} block with no example file`,
      );
      assert.equal(block.text, read(block.example), `${where} differs from ${block.example}`);
    }
  }
});

/** Starts an example as `node --import tsx <file>`, with the admin server on a free port. */
async function startExample(
  t: TestContext,
  file: string,
  env: Record<string, string> = {},
): Promise<ChildService & { adminPort: number }> {
  const service = startChildService(new URL(file, repo).pathname, {
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    LAMEDUCK_ADMIN_PORT: '0',
    LAMEDUCK_MIN_LAME_DUCK_MS: '200',
    ...env,
  });
  t.after(() => service.kill());
  const admin = await service.waitForLine((l) => l.event === 'admin-listening');
  await service.waitForLine((l) => l.event === 'phase-changed' && l.to === 'serving');
  return Object.assign(service, { adminPort: Number(admin.port) });
}

/** SIGTERM, then exit 0 with every participant stopped and nothing forced. */
async function assertDrains(service: ChildService, participants: readonly string[]) {
  service.child.kill('SIGTERM');
  assert.equal((await service.exited).code, 0, service.stderr());
  const stopped = service.lines.filter((l) => l.event === 'participant-stopped');
  assert.deepEqual(
    stopped.map((l) => [l.name, l.forced]),
    participants.map((name) => [name, false]),
  );
}

const httpExamples: Array<[string, string, string[]]> = [
  ['examples/http-server.ts', 'hello\n', ['http']],
  ['examples/custom-participant.ts', 'hello\n', ['http', 'upstream-pool']],
  ['examples/readiness-gate.ts', 'hello\n', ['http', 'cache']],
  ['examples/http-frameworks/express.ts', 'ok', ['http']],
  ['examples/http-frameworks/koa.ts', 'ok', ['http']],
  ['examples/http-frameworks/fastify.ts', 'ok', ['http']],
];

for (const [file, body, participants] of httpExamples) {
  test(`${file} serves, then drains on SIGTERM: exit 0`, async (t) => {
    // 2.
    const [port = 0] = await findFreePorts(1);
    const service = await startExample(t, file, { PORT: String(port) });
    const readyz = `http://127.0.0.1:${service.adminPort}/readyz`;
    // The readiness gate's cache warms in the background: /readyz says when.
    await waitUntil('/readyz 200', async () => (await httpGet(readyz)).status === 200);
    const answer = await httpGet(`http://127.0.0.1:${port}/`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, body);
    await assertDrains(service, participants);
  });
}

test('examples/websocket.ts echoes over a WebSocket, and closes it with 1001 at the drain', async (t) => {
  // 2b. A WebSocket through undici's client: the drain signal closes it, the process exits 0.
  const [port = 0] = await findFreePorts(1);
  const service = await startExample(t, 'examples/websocket.ts', { PORT: String(port) });
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  t.after(() => socket.close());
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  const echoed = new Promise<string>((resolve) =>
    socket.addEventListener('message', (event) => resolve(String(event.data)), { once: true }),
  );
  socket.send('ping');
  assert.equal(await echoed, 'ping');
  const closed = new Promise<number>((resolve) =>
    socket.addEventListener('close', (event) => resolve(event.code), { once: true }),
  );
  await Promise.all([
    assertDrains(service, ['http']),
    closed.then((code) => assert.equal(code, 1001)),
  ]);
});

test('examples/grpc/server.ts answers, and ends its Watch stream with OK at the drain', async (t) => {
  // 3.
  const [port = 0] = await findFreePorts(1);
  const service = await startExample(t, 'examples/grpc/server.ts', {
    GRPC_ADDRESS: `127.0.0.1:${port}`,
  });
  const client = new Echo(`127.0.0.1:${port}`, credentials.createInsecure());
  t.after(() => client.close());
  const reply = await new Promise<SayReply | undefined>((resolve, reject) => {
    client.Say({ message: 'hi' }, {}, (error, answer) => (error ? reject(error) : resolve(answer)));
  });
  assert.equal(reply?.message, 'hi');
  const watch = observeStream<SayReply>(client.Watch({ interval_ms: 50 }));
  await watch.waitForMessage((m) => m.message === 'tick');
  await assertDrains(service, ['grpc']);
  assert.equal((await watch.status).code, GrpcStatus.OK);
  assert.equal(watch.messages.at(-1)?.message, 'bye');
});

test('examples/etcd: the server registers, the caller reaches it through etcd:///echo', async (t) => {
  // 4.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const [port = 0] = await findFreePorts(1);
  const endpoints = etcd.endpoints.join(',');
  const service = await startExample(t, 'examples/etcd/server.ts', {
    GRPC_ADDRESS: `127.0.0.1:${port}`,
    ETCD_ENDPOINTS: endpoints,
    POD_IP: '127.0.0.1',
    LAMEDUCK_MIN_LAME_DUCK_MS: '1200', // above the registration's callTimeoutMs
  });
  await service.waitForLine((l) => l.event === 'registered');
  const caller = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', new URL('examples/etcd/caller.ts', repo).pathname],
    { env: { ...process.env, ETCD_ENDPOINTS: endpoints }, timeout: TEST_TIMEOUT_MS },
  );
  assert.match(caller.stdout, /^hello from 127\.0\.0\.1$/m);
  await assertDrains(service, ['etcd-registration', 'grpc']);
});

test('the manifest the README deploys with passes lameduck lint without a finding', async () => {
  // 5.
  const run = await runLameduckCli(['lint', new URL('examples/k8s/passport.yaml', repo).pathname]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^1 workload\(s\) checked: 0 error\(s\), 0 warning\(s\), 0 note\(s\)$/m);
});
