import { createServer } from 'node:http';
import express from 'express';
import { createLifecycle } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

const app = express();
app.get('/', (_req, res) => res.send('ok'));

const server = createServer(app); // not app.listen(): we need the server first
const life = createLifecycle().add(drainHttpServer(server));
const running = life.run(); // admin server, SIGTERM/SIGINT, exit code
server.listen(Number(process.env.PORT ?? 8080));
await running;
