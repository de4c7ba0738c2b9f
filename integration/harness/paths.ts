import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, computed from this module's location (integration/harness/paths.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Git-ignored cache for broker downloads, data, logs, pid and lock files. */
export const BROKERS_DIR = path.join(REPO_ROOT, '.brokers');

/** Folder for one broker's files, e.g. `.brokers/kafka`. */
export function brokerDir(name: string): string {
  return path.join(BROKERS_DIR, name);
}

/** Folder for a Maven-fetched distribution (jars only), e.g. `.brokers/dist/kafka-3.9.2`. */
export function distDir(name: string): string {
  return path.join(BROKERS_DIR, 'dist', name);
}
