/**
 * One probe attempt, or one httpGet/exec hook, as the kubelet makes it: from the node's address
 * (HTTP and TCP), with the kubelet's `User-Agent`, within the timeout. An httpGet succeeds on a
 * status from 200 to 399, a gRPC probe when `grpc.health.v1.Health/Check` answers SERVING, a
 * TCP probe when the connection opens, an exec probe when the command exits 0.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { ProbeHandler } from '../model/drill-spec.js';

/** Where a probe goes and comes from. */
export interface ProbeTarget {
  podAddress: string;
  nodeAddress: string;
  /** The container's env, for exec handlers (they run inside the container). */
  env: Readonly<Record<string, string>>;
  /** Runs exec handlers inside the pod's network namespace, with --netns. */
  execPrefix?: readonly string[];
}

/** A probe's verdict; `detail` says why it failed. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** The kubelet's User-Agent: probe requests must not count as traffic. */
export const kubeProbeUserAgent = 'kube-probe/1.35';

/** Runs `handler` once against `target`, bounded by `timeoutMs`. Never rejects. */
export function runProbe(
  handler: ProbeHandler,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  switch (handler.kind) {
    case 'httpGet':
      return httpGet(handler, target, timeoutMs);
    case 'tcpSocket':
      return tcpSocket(handler.port, target, timeoutMs);
    case 'grpc':
      return grpcHealth(handler, target, timeoutMs);
    case 'exec':
      return exec([...(target.execPrefix ?? []), ...handler.command], target, timeoutMs);
  }
}

const fail = (detail: string): ProbeResult => ({ ok: false, detail });
const pass: ProbeResult = { ok: true, detail: '' };

function httpGet(
  handler: Extract<ProbeHandler, { kind: 'httpGet' }>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const send = handler.scheme === 'HTTPS' ? httpsRequest : httpRequest;
    const req = send(
      {
        host: target.podAddress,
        port: handler.port,
        path: handler.path,
        method: 'GET',
        localAddress: target.nodeAddress,
        headers: {
          'user-agent': kubeProbeUserAgent,
          accept: '*/*',
          ...handler.headers,
          connection: 'close',
        },
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.once('end', () =>
          resolve(
            status >= 200 && status < 400
              ? pass
              : fail(`HTTP probe failed with statuscode: ${status}`),
          ),
        );
        res.once('error', (error) => resolve(fail(error.message)));
      },
    );
    req.once('timeout', () => {
      req.destroy();
      resolve(fail(`timeout after ${timeoutMs} ms`));
    });
    req.once('error', (error) => resolve(fail(error.message)));
    req.end();
  });
}

function tcpSocket(port: number, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: target.podAddress, port, localAddress: target.nodeAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(fail(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pass);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve(fail(error.message));
    });
  });
}

/**
 * `grpc.health.v1.Health/Check` over one HTTP/2 connection from the node's address (grpc-js
 * cannot pick its source address): a `HealthCheckRequest` with `service` (field 1), and a
 * `HealthCheckResponse` whose `status` (field 1) must be SERVING (1).
 */
function grpcHealth(
  handler: Extract<ProbeHandler, { kind: 'grpc' }>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const session = http2Connect(`http://${target.podAddress}:${handler.port}`, {
      createConnection: () =>
        netConnect({
          host: target.podAddress,
          port: handler.port,
          localAddress: target.nodeAddress,
        }),
    });
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(fail(`timeout after ${timeoutMs} ms`)), timeoutMs);
    session.once('error', (error) => finish(fail(error.message)));
    const service = Buffer.from(handler.service, 'utf8');
    const message =
      service.length === 0
        ? Buffer.alloc(0)
        : Buffer.concat([Buffer.from([0x0a, ...varint(service.length)]), service]);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': kubeProbeUserAgent,
      'grpc-timeout': `${timeoutMs}m`,
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    const readStatus = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    };
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', (error) => finish(fail(error.message)));
    stream.once('close', () => {
      if (grpcStatus !== '0') {
        finish(fail(`rpc error: grpc-status ${grpcStatus ?? 'missing'}`));
        return;
      }
      const body = Buffer.concat(chunks).subarray(5);
      // HealthCheckResponse { status = 1 (varint) }: 0x08 then the value.
      const status = body[0] === 0x08 ? body[1] : 0;
      finish(status === 1 ? pass : fail(`service unhealthy (responded with ${status})`));
    });
    stream.end(frame);
  });
}

function exec(
  command: readonly string[],
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [program, ...args] = command;
    const child = spawn(program as string, args, {
      env: target.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(fail(`command timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(fail(error.message));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(
        code === 0 ? pass : fail(`exit code ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`),
      );
    });
  });
}

/** A protobuf varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}
