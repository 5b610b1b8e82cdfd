import { request } from 'node:http';

/**
 * A plain GET on loopback (or `method`), optionally from a chosen local address; answers status
 * and body.
 */
export function httpGet(
  url: string,
  options: {
    localAddress?: string;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    method?: string;
  } = {},
): Promise<{
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
