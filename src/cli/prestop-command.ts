import { get as httpGet } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import { err, ok, type Result } from '../errors/lameduck-error.js';
import { defaultAdminPort } from '../lifecycle/admin-options.js';
import { secondsToMs } from '../lifecycle/clock.js';
import { parseLifecycleEnvNumber } from '../lifecycle/lifecycle-options.js';
import { timerDelayLimitSeconds } from '../options/timer-delay.js';
import { parseWholeNumber, type WholeNumberRange } from '../options/whole-number.js';

/** A flag's whole-number parser for commander: decimal digits within `range`, as env settings. */
function wholeNumberFlag(flag: string, range: WholeNumberRange): (value: string) => number {
  return (value) => {
    const parsed = parseWholeNumber(flag, value, range);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
    return parsed.value;
  };
}

/** Where the hook calls: from flags, else the env lameduck's admin server reads, else defaults. */
export interface PrestopTarget {
  host: string;
  port: number;
}

/**
 * The admin address the hook calls, read as the admin server reads it: `--port`, else
 * `LAMEDUCK_ADMIN_PORT`, else 9901; `--host`, else `LAMEDUCK_ADMIN_HOST` unless it is a wildcard
 * (`0.0.0.0`, `::`: every interface, loopback included), else 127.0.0.1. The hook runs in the
 * app's container with the app's env, so both agree without flags. The problem is the error.
 */
export function resolvePrestopTarget(
  flags: { port?: number; host?: string },
  env: Readonly<Record<string, string | undefined>>,
): Result<PrestopTarget, string> {
  const host = flags.host ?? adminHostToCall(env.LAMEDUCK_ADMIN_HOST);
  if (flags.port !== undefined) return ok({ host, port: flags.port });
  const fromEnv = env.LAMEDUCK_ADMIN_PORT;
  if (fromEnv === undefined || fromEnv.trim() === '') return ok({ host, port: defaultAdminPort });
  const port = parseLifecycleEnvNumber('LAMEDUCK_ADMIN_PORT', fromEnv);
  if (!port.ok) return port;
  if (port.value === 0) {
    return err(
      'LAMEDUCK_ADMIN_PORT=0 lets the admin server pick a free port, which the hook cannot know: ' +
        'give the admin server a fixed port, or pass --port',
    );
  }
  return ok({ host, port: port.value });
}

/** The address to call for an admin server bound to `boundHost` (unset: every interface). */
function adminHostToCall(boundHost: string | undefined): string {
  const host = boundHost?.trim() ?? '';
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * `lameduck prestop`: an `exec` preStop hook for images without a shell or curl. It calls
 * `/lameduck/prestop` on the admin server and returns when the lame-duck wait is over (at once
 * for a repeated call). In a manifest: `exec: { command: ["node",
 * "node_modules/lameduck/dist/cli/main.js", "prestop"] }`. It reads the env the app reads
 * (`LAMEDUCK_ADMIN_PORT`, `LAMEDUCK_ADMIN_HOST`; see {@link resolvePrestopTarget}); flags win.
 * Its numbers are read as lameduck's env settings are: whole decimal numbers (`--port 9901`,
 * `--timeout-seconds 60`), the timeout at most 2147483 s, the longest a timer holds.
 */
export function createPrestopCommand(): Command {
  return new Command('prestop')
    .description(
      'start lame duck and wait until traffic is quiet (an exec preStop hook); reads LAMEDUCK_ADMIN_PORT and LAMEDUCK_ADMIN_HOST as the app does',
    )
    .option(
      '--port <port>',
      `admin port (default: LAMEDUCK_ADMIN_PORT, else ${defaultAdminPort})`,
      wholeNumberFlag('--port', { minimum: 1, maximum: 65_535 }),
    )
    .option(
      '--host <host>',
      'admin address (default: LAMEDUCK_ADMIN_HOST unless a wildcard, else 127.0.0.1)',
    )
    .option(
      '--timeout-seconds <seconds>',
      'give up after this long, in whole seconds',
      wholeNumberFlag('--timeout-seconds', { minimum: 1, ...timerDelayLimitSeconds }),
      60,
    )
    .action(async (options: { port?: number; host?: string; timeoutSeconds: number }) => {
      const target = resolvePrestopTarget(options, process.env);
      if (!target.ok) {
        process.stderr.write(`lameduck prestop: ${target.error}\n`);
        process.exitCode = 1;
        return;
      }
      const { host, port } = target.value;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/lameduck/prestop`;
      try {
        const { status, body } = await get(url, secondsToMs(options.timeoutSeconds));
        if (status !== 200) {
          process.stderr.write(`lameduck prestop: ${url} answered ${status}: ${body}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`lameduck prestop: ${body}\n`);
      } catch (error) {
        process.stderr.write(
          `lameduck prestop: cannot reach ${url}: ${String(error)} (the port and address come from --port and --host, else LAMEDUCK_ADMIN_PORT and LAMEDUCK_ADMIN_HOST, as the app reads them)\n`,
        );
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
