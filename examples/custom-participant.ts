import { createServer } from 'node:http';
import { createLifecycle, type Participant } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';
import { Pool } from 'undici';

// A client the handlers use: here a pool of connections to an upstream HTTP API. A database
// pool (pg: `await pool.end()`), a Redis client (`await redis.quit()`) or a queue consumer
// (stop taking messages, finish the one in hand) take the same shape.
const upstream = new Pool(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:8081');
const upstreamPool: Participant = {
  name: 'upstream-pool',
  start() {}, // nothing to do: the pool connects on its first request
  async stop() {
    await upstream.close(); // waits for the requests it carries, then closes
  },
};

const server = createServer((_req, res) => {
  res.end('hello\n');
});

const life = createLifecycle()
  .add(upstreamPool) // added first, stopped last: after the server has drained
  .add(drainHttpServer(server));
const running = life.run();
server.listen(Number(process.env.PORT ?? 8080));
await running;
