import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, computed from this module's location (integration/harness/paths.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Git-ignored cache for broker downloads, data, logs, pid and lock files: `.brokers` at the
 * repository root, or FERRY_BROKERS_DIR (e.g. an empty folder, to start from scratch).
 */
export const BROKERS_DIR = process.env.FERRY_BROKERS_DIR?.trim()
  ? path.resolve(process.env.FERRY_BROKERS_DIR.trim())
  : path.join(REPO_ROOT, '.brokers');

/** Folder for one broker's files, e.g. `.brokers/kafka`. */
export function brokerDir(name: string): string {
  return path.join(BROKERS_DIR, name);
}

/** Folder for a Maven-fetched distribution (jars only), e.g. `.brokers/dist/kafka-3.9.2`. */
export function distDir(name: string): string {
  return path.join(BROKERS_DIR, 'dist', name);
}
