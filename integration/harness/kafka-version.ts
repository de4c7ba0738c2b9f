/**
 * Which Kafka version answers on an address, so a reused broker's version is visible. Exact for a
 * broker process on this machine (the `kafka_2.13-<version>.jar` on its classpath, found through
 * the process listening on the port); otherwise the major line from the protocol versions the
 * broker offers (Kafka 4.0 removed Fetch v0-v3, KIP-896).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { KAFKA_VERSION, KAFKA_VERSION_CHOSEN } from './config.ts';
import { withTimeout } from './probes.ts';
import type { BrokerReport } from './types.ts';

export interface KafkaVersionInfo {
  /** `4.4.0`, or `4.x or later` / `before 4.0` when only the protocol tells. */
  version: string;
  /** The broker process on this machine, when found. */
  pid?: number;
}

const KAFKA_JAR = /(?:^|[/:])kafka_2\.\d+-(\d+\.\d+\.\d+)\.jar(?=$|[: ])/;

export async function detectKafkaVersion(address: string): Promise<KafkaVersionInfo | undefined> {
  const [host, portText] = splitHostPort(address);
  const port = Number(portText);
  if (!Number.isInteger(port)) return undefined;
  if (['127.0.0.1', 'localhost', '::1', '0.0.0.0'].includes(host)) {
    const local = localBrokerVersion(port);
    if (local) return local;
  }
  try {
    const version = await withTimeout(protocolMajor(host, port), 4_000, 'Kafka ApiVersions');
    return version ? { version } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Adds the version to a Kafka report and says so when it is not the one asked for (the harness's
 * version setting, or FERRY_KAFKA_VERSION for a broker given by FERRY_KAFKA_BROKERS).
 */
export async function withKafkaVersion(report: BrokerReport, warn: (line: string) => void): Promise<BrokerReport> {
  const asked = report.source === 'env' && !KAFKA_VERSION_CHOSEN ? undefined : KAFKA_VERSION;
  const found =
    report.source === 'local-started' || report.source === 'container'
      ? { version: KAFKA_VERSION }
      : await detectKafkaVersion(report.address.split(',')[0]!);
  if (!found) return report;
  const mismatch = asked !== undefined && !sameVersion(found.version, asked);
  if (mismatch) {
    const where = found.pid !== undefined ? ` (pid ${found.pid})` : '';
    const why = KAFKA_VERSION_CHOSEN ? 'FERRY_KAFKA_VERSION' : 'the harness default';
    warn(
      `Kafka: ${asked} was asked for (${why}), but the broker answering on ${report.address}${where} runs ` +
        `Kafka ${found.version}: these tests run against ${found.version}. For a ${asked} broker beside it, ` +
        `choose free ports (FERRY_KAFKA_PORT=${suggestPort(report.address)} and the next one), or stop the other broker if it is yours.`,
    );
  }
  return { ...report, version: found.version, ...(mismatch && { versionAsked: asked }) };
}

function suggestPort(address: string): number {
  const port = Number(splitHostPort(address.split(',')[0]!)[1]);
  return port === 9092 || !Number.isInteger(port) ? 29092 : port + 100;
}

/** Exact versions must be equal; a line from the protocol must contain the one asked for. */
export function sameVersion(found: string, asked: string): boolean {
  const askedMajor = Number(asked.split('.')[0]);
  if (found === PROTOCOL_4) return askedMajor >= 4;
  if (found === PROTOCOL_BEFORE_4) return askedMajor < 4;
  return found === asked;
}

function splitHostPort(address: string): [string, string] {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(address);
  if (bracketed) return [bracketed[1]!, bracketed[2]!];
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

/** The Kafka process listening on `port` here (Linux /proc), and the version of its jars. */
function localBrokerVersion(port: number): KafkaVersionInfo | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const pid of pidsRunning('kafka')) {
    if (!holdsSocket(pid, inodes)) continue;
    const version = versionFromCommandLine(readProc(`${pid}/cmdline`).split('\0'));
    return version ? { version, pid } : undefined;
  }
  return undefined;
}

function readProc(file: string): string {
  try {
    return readFileSync(`/proc/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** Socket inodes in LISTEN state (0A) on `port`, IPv4 and IPv6. */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    for (const line of readProc(table).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[1]!.endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  return inodes;
}

function pidsRunning(marker: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((e) => /^\d+$/.test(e) && readProc(`${e}/cmdline`).includes(marker)).map(Number);
}

function holdsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // not ours to look into
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** The kafka_2.13 jar named on the command line, or found in a `dir/*` classpath entry. */
function versionFromCommandLine(args: string[]): string | undefined {
  const named = KAFKA_JAR.exec(args.join(' '));
  if (named) return named[1];
  const i = args.findIndex((a) => a === '-cp' || a === '-classpath' || a === '--class-path');
  for (const entry of i >= 0 ? (args[i + 1] ?? '').split(':') : []) {
    if (!entry.endsWith('/*')) continue;
    try {
      for (const file of readdirSync(path.dirname(entry))) {
        const m = KAFKA_JAR.exec(file);
        if (m) return m[1];
      }
    } catch {
      // folder gone
    }
  }
  return undefined;
}

const PROTOCOL_4 = '4.x or later';
const PROTOCOL_BEFORE_4 = 'before 4.0';

/** 4.x or later if the broker no longer offers Fetch v0-v3 (removed in 4.0, KIP-896), else before 4.0. */
export function protocolMajor(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('ferry-harness-version');
    // ApiVersions v0: size, api key 18, version 0, correlation id, client id; no body.
    const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    request.writeInt32BE(request.length - 4, 0);
    request.writeInt16BE(18, 4);
    request.writeInt16BE(0, 6);
    request.writeInt32BE(1, 8);
    request.writeInt16BE(clientId.length, 12);
    clientId.copy(request, 14);
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (fn: () => void) => {
      socket.destroy();
      fn();
    };
    socket.once('error', (error) => done(() => reject(error)));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
      // correlation id (4), error code (2), array length (4), then [key, min, max] int16 triples
      const errorCode = data.readInt16BE(8);
      const count = data.readInt32BE(10);
      if (errorCode !== 0 || count < 0) return done(() => resolve(undefined));
      for (let i = 0, at = 14; i < count; i++, at += 6) {
        if (data.readInt16BE(at) === 1) {
          const fetchMin = data.readInt16BE(at + 2);
          return done(() => resolve(fetchMin >= 4 ? PROTOCOL_4 : PROTOCOL_BEFORE_4));
        }
      }
      done(() => resolve(undefined));
    });
  });
}
