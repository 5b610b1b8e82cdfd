import { request } from 'node:http';
import { TEST_TIMEOUT_MS } from './timeouts.js';

/** Reads `lameduck_in_flight` from a child service's admin `/metrics`. */
export function readInFlight(adminPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: adminPort, path: '/metrics', agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const match = /^lameduck_in_flight (\d+)$/m.exec(text);
          if (match?.[1] === undefined)
            reject(new Error(`admin-in-flight: no lameduck_in_flight in:\n${text}`));
          else resolve(Number(match[1]));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Resolves once the service counts at least `count` requests in flight: the server has them,
 * not just the client's socket buffer. Polls, because the count has no event of its own.
 */
export async function waitForInFlight(
  adminPort: number,
  count: number,
  timeoutMs = TEST_TIMEOUT_MS,
): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  let last = await readInFlight(adminPort);
  while (last < count) {
    if (performance.now() > deadlineMs) {
      throw new Error(
        `admin-in-flight: ${last} of ${count} requests in flight after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    last = await readInFlight(adminPort);
  }
}
