import { createServer } from 'node:http';
import { createLifecycle } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';
import { WebSocketServer } from 'ws';

const server = createServer((_req, res) => {
  res.end('hello\n');
});
const drain = drainHttpServer(server, { upgradeGraceMs: 5000 });
const wss = new WebSocketServer({ server });
const goAway = () => {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
};
drain.drainSignal.addEventListener('abort', goAway, { once: true });
wss.on('connection', (ws) => {
  if (drain.drainSignal.aborted) ws.close(1001, 'server shutting down'); // arrived while draining
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })); // echo
});

const life = createLifecycle().add(drain);
const running = life.run();
server.listen(Number(process.env.PORT ?? 8080));
await running;
