import { createServer } from 'node:http';
import { createLifecycle } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

// Express: createServer(app); Koa: createServer(app.callback()); Fastify: fastify.server.
const server = createServer((_req, res) => {
  res.end('hello\n');
});

const life = createLifecycle(); // reads nothing, binds nothing
life.add(drainHttpServer(server)); // participants stop in reverse order of add()
const running = life.run(); // env, admin server on :9901, SIGTERM/SIGINT, exit code
server.listen(Number(process.env.PORT ?? 8080)); // while run() starts up: /readyz says when to send traffic
await running; // resolves once serving
