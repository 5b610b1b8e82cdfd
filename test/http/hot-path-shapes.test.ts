/**
 * The objects lameduck calls on every request or call must be in V8's fast mode. Node 20's V8
 * makes an object literal with a getter a dictionary, where each method call is a hash lookup:
 * the traffic meter was one, and its `countArrival()` cost 85 of the 290 instructions lameduck
 * added to an HTTP request (counted by callgrind). Asked of V8 itself, in a child node with
 * `--allow-natives-syntax`. The same goes for Node's own objects: lameduck must not give them a
 * second hidden class, or node:http's code, which sees both, turns polymorphic.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const source = (path: string): string => new URL(`../../src/${path}`, import.meta.url).href;

// Each object the request path calls, by name; the child prints which are dictionaries.
const script = `
import { createTrafficMeter } from ${JSON.stringify(source('drain/traffic-meter.ts'))};
import { createInFlightRequests } from ${JSON.stringify(source('http/in-flight-requests.ts'))};
import { createHttp1Requests } from ${JSON.stringify(source('http/http1-requests.ts'))};
import { createH2Sessions } from ${JSON.stringify(source('http/h2-sessions.ts'))};
import { createUpgradedConnections } from ${JSON.stringify(source('http/upgraded-connections.ts'))};
import { createCallTracker } from ${JSON.stringify(source('grpc/call-tracker.ts'))};
const meter = createTrafficMeter();
const requests = createInFlightRequests(meter, () => {});
const objects = {
  meter,
  requests,
  http1: createHttp1Requests(requests),
  h2Sessions: createH2Sessions(),
  upgrades: createUpgradedConnections(meter, () => {}),
  callTracker: createCallTracker({ isProbe: () => false, now: () => performance.now() }),
};
const dictionaries = Object.entries(objects).filter(([, o]) => !%HasFastProperties(o)).map(([n]) => n);
// A control: were the check broken, this would not be listed.
const control = !%HasFastProperties({ get size() { return 0; } });
process.stdout.write(JSON.stringify({ dictionaries, control }));
`;

// The socket of a request to a bare server and to one with a drain attached; the child prints
// whether they share a hidden class.
const socketScript = `
import { createServer, get } from 'node:http';
import { drainHttpServer } from ${JSON.stringify(source('http/http-drain.ts'))};
const socketOfRequest = async (server) => {
  let socket;
  server.on('request', (req, res) => { socket = req.socket; res.end('ok'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: server.address().port, agent: false }, (res) => {
      res.resume().on('end', resolve);
    }).on('error', reject);
  });
  server.close();
  return socket;
};
const bare = await socketOfRequest(createServer());
const drained = createServer();
drainHttpServer(drained);
const withDrain = await socketOfRequest(drained);
const marked = await socketOfRequest(createServer());
marked[Symbol('mark')] = true;
// A control: were the check broken, a socket given a property would still share the class.
process.stdout.write(JSON.stringify({ sameMap: %HaveSameMap(bare, withDrain), control: !%HaveSameMap(bare, marked) }));
`;

const runChild = async <T>(childScript: string): Promise<T> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', childScript],
    { timeout: 50_000 },
  );
  return JSON.parse(stdout) as T;
};

test('the objects on the request path are not dictionaries', { timeout: 60_000 }, async () => {
  const { dictionaries, control } = await runChild<{ dictionaries: string[]; control: boolean }>(
    script,
  );
  assert.equal(control, true, 'an object literal with a getter should read as a dictionary');
  assert.deepEqual(dictionaries, []);
});

test("a drained server's sockets keep node's own hidden class", { timeout: 60_000 }, async () => {
  const { sameMap, control } = await runChild<{ sameMap: boolean; control: boolean }>(socketScript);
  assert.equal(control, true, 'a socket given a property should have another hidden class');
  assert.equal(sameMap, true);
});
