import fastify from 'fastify';
import { createLifecycle } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

const app = fastify();
app.get('/', async () => 'ok');

const life = createLifecycle().add(drainHttpServer(app.server));
const running = life.run();
await app.listen({ port: Number(process.env.PORT ?? 8080), host: '0.0.0.0' });
await running;
