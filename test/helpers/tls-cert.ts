import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A throwaway certificate on disk; `cleanup()` removes the directory holding it. */
export interface TestCertificate {
  /** PEM private key, readable only by this user. */
  readonly keyPath: string;
  /** PEM self-signed certificate for `127.0.0.1` (CN and IP subjectAltName). */
  readonly certPath: string;
  /** The certificate's PEM text, for a client's `ca`. */
  readonly cert: string;
  /** Removes the key and certificate. Idempotent. */
  cleanup(): Promise<void>;
}

/** Options of {@link createTestCertificate}. */
export interface TestCertificateOptions {
  /** Key type. Default: `'ec'` (P-256: fast to generate). */
  keyType: 'ec' | 'rsa';
  /** The openssl binary. Default: `/usr/bin/openssl`. */
  openssl: string;
}

/** Defaults of {@link TestCertificateOptions}. */
export const testCertificateDefaults: TestCertificateOptions = {
  keyType: 'ec',
  openssl: '/usr/bin/openssl',
};

const run = promisify(execFile);

/**
 * Generates a self-signed certificate for `127.0.0.1` into a fresh temporary directory, at test
 * time, so that no private key is ever committed. Valid for one day.
 */
export async function createTestCertificate(
  options: Partial<TestCertificateOptions> = {},
): Promise<TestCertificate> {
  const { keyType, openssl } = { ...testCertificateDefaults, ...options };
  const dir = await mkdtemp(join(tmpdir(), 'lameduck-tls-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const newKey =
    keyType === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  try {
    await run(openssl, [
      'req',
      '-x509',
      ...newKey,
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const cert = await readFile(certPath, 'utf8');
    return { keyPath, certPath, cert, cleanup };
  } catch (error) {
    await cleanup();
    throw new Error(`tls-cert: ${openssl} could not make a certificate`, { cause: error });
  }
}
