/**
 * EXAMPLE ONLY: a NestJS service drained by lameduck. Nothing runs this file and it is not part
 * of the package; the project type-checks it so that it cannot rot.
 *
 * Nest is not a dependency of lameduck, so the two Nest calls used here are declared below
 * (`NestApp`, `createNestApp`). In your service they come from `@nestjs/core`:
 * `const app = await NestFactory.create(AppModule)`.
 */
import type { Server } from 'node:http';
import { createLifecycle, type Participant } from 'lameduck';
import { drainHttpServer } from 'lameduck/http';

/** The part of Nest's `INestApplication` this example uses. */
interface NestApp {
  /** The node:http server under the Express (or Fastify) adapter. */
  getHttpServer(): Server;
  listen(port: number): Promise<unknown>;
  /** Runs onModuleDestroy, beforeApplicationShutdown and onApplicationShutdown. */
  close(): Promise<void>;
}

/** Stands for `NestFactory.create(AppModule)`. */
declare function createNestApp(): Promise<NestApp>;

/** Call from your entry point. */
export async function main(): Promise<void> {
  const app = await createNestApp();
  // No app.enableShutdownHooks(): lameduck owns SIGTERM and SIGINT. Nest's hooks would close
  // the listener at the signal (callers still routed here get refused), run onModuleDestroy
  // while requests are in flight, then re-send the signal to the process, which lameduck takes
  // as a second signal and exits at once with code 1.
  const nestHooks: Participant = {
    name: 'nest',
    start() {},
    // Added first, so stopped last: after the HTTP drain, Nest's shutdown hooks close the
    // database pools and other clients. Its second server.close() is harmless.
    async stop() {
      await app.close();
    },
  };
  const life = createLifecycle().add(nestHooks).add(drainHttpServer(app.getHttpServer()));
  const running = life.run();
  await app.listen(Number(process.env.PORT ?? '3000'));
  await running;
}
