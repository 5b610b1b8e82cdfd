import { get as httpGet } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import { defaultAdminPort } from '../lifecycle/lifecycle-options.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError('must be an integer from 1 to 65535');
  }
  return port;
}

function parsePositiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('must be > 0');
  return seconds;
}

/**
 * `lameduck prestop`: an `exec` preStop hook for images without a shell or curl. It calls
 * `/lameduck/prestop` on the admin port over loopback and returns when the lame-duck wait is over.
 * In a manifest: `exec: { command: ["node", "node_modules/lameduck/dist/cli/main.js", "prestop"] }`.
 */
export function createPrestopCommand(): Command {
  return new Command('prestop')
    .description(
      'start lame duck over loopback and wait until traffic is quiet (an exec preStop hook)',
    )
    .option('--port <port>', 'admin port', parsePort, defaultAdminPort)
    .option('--host <host>', 'admin address', '127.0.0.1')
    .option('--timeout-seconds <seconds>', 'give up after this long', parsePositiveSeconds, 60)
    .action(async (options: { port: number; host: string; timeoutSeconds: number }) => {
      const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}/lameduck/prestop`;
      try {
        const { status, body } = await get(url, options.timeoutSeconds * 1000);
        if (status !== 200) {
          process.stderr.write(`lameduck prestop: ${url} answered ${status}: ${body}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`lameduck prestop: ${body}\n`);
      } catch (error) {
        process.stderr.write(`lameduck prestop: cannot reach ${url}: ${String(error)}\n`);
        process.exitCode = 1;
      }
    });
}

// node:http rather than fetch: fetch refuses some ports outright ("bad port").
function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: body.trim() }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
