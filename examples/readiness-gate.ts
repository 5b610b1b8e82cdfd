import { createServer } from 'node:http';
import { createLifecycle, type Participant, type ReadinessGate } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

// A cache the service needs warm before it takes traffic: /readyz answers 503 until `ready` is
// true, even once every participant has started.
const cache = new Map<string, string>();
let warm = false;
const cacheWarmer: Participant & ReadinessGate = {
  name: 'cache',
  get ready() {
    return warm; // read on every probe
  },
  start() {
    // Warm in the background: start() resolving lets the next participant start.
    setTimeout(() => {
      cache.set('greeting', 'hello');
      warm = true;
    }, 100);
  },
  stop() {
    cache.clear();
  },
};

const server = createServer((_req, res) => {
  res.end(`${cache.get('greeting')}\n`);
});

const life = createLifecycle().add(cacheWarmer).add(drainHttpServer(server));
const running = life.run();
server.listen(Number(process.env.PORT ?? 8080));
await running;
