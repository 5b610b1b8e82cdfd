import { get as httpGet } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import { defaultAdminPort } from '../lifecycle/admin-options.js';
import { secondsToMs } from '../lifecycle/clock.js';
import { timerDelayLimitSeconds } from '../lifecycle/timer-delay.js';
import { parseWholeNumber, type WholeNumberRange } from '../lifecycle/whole-number.js';

/** A flag's whole-number parser for commander: decimal digits within `range`, as env settings. */
function wholeNumberFlag(flag: string, range: WholeNumberRange): (value: string) => number {
  return (value) => {
    const parsed = parseWholeNumber(flag, value, range);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
    return parsed.value;
  };
}

/**
 * `lameduck prestop`: an `exec` preStop hook for images without a shell or curl. It calls
 * `/lameduck/prestop` on the admin port over loopback and returns when the lame-duck wait is over.
 * In a manifest: `exec: { command: ["node", "node_modules/lameduck/dist/cli/main.js", "prestop"] }`.
 * Its numbers are read as lameduck's env settings are: whole decimal numbers (`--port 9901`,
 * `--timeout-seconds 60`), the timeout at most 2147483 s, the longest a timer holds. It reads no
 * env variable.
 */
export function createPrestopCommand(): Command {
  return new Command('prestop')
    .description(
      'start lame duck over loopback and wait until traffic is quiet (an exec preStop hook)',
    )
    .option(
      '--port <port>',
      'admin port',
      wholeNumberFlag('--port', { minimum: 1, maximum: 65_535 }),
      defaultAdminPort,
    )
    .option('--host <host>', 'admin address', '127.0.0.1')
    .option(
      '--timeout-seconds <seconds>',
      'give up after this long, in whole seconds',
      wholeNumberFlag('--timeout-seconds', { minimum: 1, ...timerDelayLimitSeconds }),
      60,
    )
    .action(async (options: { port: number; host: string; timeoutSeconds: number }) => {
      const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}/lameduck/prestop`;
      try {
        const { status, body } = await get(url, secondsToMs(options.timeoutSeconds));
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
