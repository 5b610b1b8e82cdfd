import http from 'node:http';
import https from 'node:https';
import { LameduckError } from '../errors/lameduck-error.js';

/** What one etcd member says about itself in `/v3/maintenance/status`. */
export interface EtcdMemberStatus {
  /** This member's id, as the decimal string etcd's JSON gateway uses for uint64. */
  memberId: string;
  /** The id of the member this one believes is leader; `'0'` when it knows of none. */
  leaderId: string;
}

/**
 * Asks `GET <clientUrl>/health` whether the member serves requests (etcd 3.4 answers
 * `{"health":"true"}` only when the cluster has a leader and a read succeeds). Resolves `false`
 * on any error or a non-200 answer, so callers can poll; rejects only when `signal` aborts.
 */
export async function isEtcdHealthy(
  clientUrl: string,
  requestTimeoutMs: number,
  signal?: AbortSignal,
  caPem?: string,
): Promise<boolean> {
  try {
    const body = await requestJson('GET', `${clientUrl}/health`, requestTimeoutMs, signal, caPem);
    return isRecord(body) && body.health === 'true';
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
}

/**
 * Reads the member's own id and its view of the leader from `POST /v3/maintenance/status` (the
 * gRPC gateway; ids stay strings, so no uint64 precision is lost). Rejects with `unavailable`
 * when the member does not answer within `requestTimeoutMs`, or when `signal` aborts.
 */
export async function getEtcdMemberStatus(
  clientUrl: string,
  requestTimeoutMs: number,
  signal?: AbortSignal,
  caPem?: string,
): Promise<EtcdMemberStatus> {
  const url = `${clientUrl}/v3/maintenance/status`;
  const body = await requestJson('POST', url, requestTimeoutMs, signal, caPem);
  const header = isRecord(body) ? body.header : undefined;
  const memberId = isRecord(header) ? header.member_id : undefined;
  const leaderId = isRecord(body) ? (body.leader ?? '0') : undefined;
  if (typeof memberId !== 'string' || typeof leaderId !== 'string') {
    throw new LameduckError('unavailable', `etcd: unexpected status from ${url}`);
  }
  return { memberId, leaderId };
}

/**
 * One request on a fresh connection (`agent: false`): no keep-alive socket outlives the call,
 * so polling a member leaves nothing behind that could keep the process alive. An `https://`
 * URL is checked against `caPem`.
 */
function requestJson(
  method: 'GET' | 'POST',
  url: string,
  requestTimeoutMs: number,
  signal?: AbortSignal,
  caPem?: string,
): Promise<unknown> {
  const signals = [AbortSignal.timeout(requestTimeoutMs)];
  if (signal !== undefined) signals.push(signal);
  return new Promise((resolve, reject) => {
    const options = { method, agent: false, signal: AbortSignal.any(signals) } as const;
    const request = url.startsWith('https:')
      ? https.request(url, { ...options, ca: caPem })
      : http.request(url, options);
    request.once('error', (cause) => {
      reject(new LameduckError('unavailable', `etcd: ${method} ${url} failed`, { cause }));
    });
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.once('error', (cause) => {
        reject(new LameduckError('unavailable', `etcd: ${method} ${url} failed`, { cause }));
      });
      response.once('end', () => {
        if (response.statusCode !== 200) {
          reject(
            new LameduckError(
              'unavailable',
              `etcd: ${method} ${url} answered ${response.statusCode}`,
            ),
          );
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (cause) {
          reject(
            new LameduckError('unavailable', `etcd: ${method} ${url} sent bad JSON`, { cause }),
          );
        }
      });
    });
    request.end(method === 'POST' ? '{}' : undefined);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
