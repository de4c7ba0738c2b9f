/**
 * A test certificate authority and a server certificate it signed (for 127.0.0.1 and localhost),
 * generated once with openssl and kept in `.brokers/tls/`: Kafka's SASL_SSL listener reads the
 * PKCS#12 keystore, RabbitMQ's TLS listener the PEM files, and tests trust `ca.crt`. Credentials
 * for the secured listeners are made here too (random, per cache folder), never in the sources.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOCK_WAIT_MS } from './config.ts';
import { withLock } from './lock.ts';
import { brokerDir } from './paths.ts';
import { runToLog } from './run-command.ts';
import { tailFile } from './wait.ts';

export interface TestCertificates {
  readonly dir: string;
  /** PEM files. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The server key and certificate (with the CA) as PKCS#12, for Java (Kafka). */
  readonly keystoreFile: string;
  readonly keystorePassword: string;
  /** The CA's certificate as PEM text: what a client trusts. */
  readonly caPem: string;
  /** The user the secured listeners accept (Kafka SCRAM user, RabbitMQ default user) and its password. */
  readonly username: string;
  readonly password: string;
}

const DIR = brokerDir('tls');
const USERNAME = 'ferry';
const DAYS = '3650';

/** Why certificates cannot be made here (openssl missing), or undefined when they can. */
export function certificatesUnavailable(): string | undefined {
  const found = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return found.error || found.status !== 0 ? 'openssl is not on PATH: the harness needs it to generate the test CA and server certificate' : undefined;
}

/** The cached certificates, generated on first use (under a lock: concurrent callers make them once). */
export async function ensureTestCertificates(): Promise<TestCertificates> {
  if (isComplete()) return load();
  // Beside the folder, not in it: generating replaces the folder.
  return withLock(`${DIR}-generate.lock`, LOCK_WAIT_MS, async () => {
    if (!isComplete()) await generate();
    return load();
  });
}

function isComplete(): boolean {
  return existsSync(path.join(DIR, '.complete'));
}

function load(): TestCertificates {
  const secrets = JSON.parse(readFileSync(path.join(DIR, 'secrets.json'), 'utf8')) as { keystorePassword: string; password: string };
  return {
    dir: DIR,
    caFile: path.join(DIR, 'ca.crt'),
    certFile: path.join(DIR, 'server.crt'),
    keyFile: path.join(DIR, 'server.key'),
    keystoreFile: path.join(DIR, 'server.p12'),
    keystorePassword: secrets.keystorePassword,
    caPem: readFileSync(path.join(DIR, 'ca.crt'), 'utf8'),
    username: USERNAME,
    password: secrets.password,
  };
}

/** Writes everything into a fresh folder first, then moves it in: a half-made set is never used. */
async function generate(): Promise<void> {
  const work = `${DIR}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const logFile = path.join(work, 'openssl.log');
  const keystorePassword = randomBytes(12).toString('hex');
  const run = async (args: string[]) => {
    const code = await runToLog('openssl', args, { cwd: work, logFile, missingHint: 'install openssl (the harness makes its test certificates with it)' });
    if (code !== 0) throw new Error(`openssl ${args[0]} failed (exit ${code}):\n${tailFile(logFile)}`);
  };
  writeFileSync(
    path.join(work, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', DAYS, '-subj', '/CN=Ferry test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', DAYS, '-extfile', 'server.ext']);
  await run(['pkcs12', '-export', '-in', 'server.crt', '-inkey', 'server.key', '-CAfile', 'ca.crt', '-chain', '-name', 'broker', '-out', 'server.p12', '-passout', `pass:${keystorePassword}`]);
  writeFileSync(path.join(work, 'secrets.json'), JSON.stringify({ keystorePassword, password: randomBytes(12).toString('hex') }), { mode: 0o600 });
  writeFileSync(path.join(work, '.complete'), new Date().toISOString());
  rmSync(DIR, { recursive: true, force: true });
  renameSync(work, DIR);
}
