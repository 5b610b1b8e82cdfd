import { createServer } from 'node:http';
import Koa from 'koa';
import { createLifecycle } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

const app = new Koa();
app.use(async (ctx) => {
  ctx.body = 'ok';
});

const server = createServer(app.callback());
const life = createLifecycle().add(drainHttpServer(server));
const running = life.run();
server.listen(Number(process.env.PORT ?? 8080));
await running;
