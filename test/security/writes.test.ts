// Safe writes: a `matrix gen` killed at any moment leaves every generated file
// entirely old or entirely new; two runs at once do not corrupt anything;
// outputs never leave the repository, even through symbolic links; and
// `gen --check` opens nothing for writing (checked with strace).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/output/lock.js';
import { BIN } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/tree.js';

const SIGNAL_AT_RENAME = path.join(REPO_ROOT, 'test', 'helpers', 'signal-at-rename.cjs');
import { hashTree, listTree, removeTempDirs, tempDir, tempRepo, type Tree } from '../helpers/tree.js';
import { matrixAsync } from './run.js';

afterAll(removeTempDirs);

const SERVICES = Array.from({ length: 12 }, (_, i) => `s${i}`);

/** Two specs whose outputs differ in every file: each Dockerfile (binary name) and the bake file (tags). */
function spec(version: 'a' | 'b'): string {
  const lines = ['version: 1', 'services:'];
  for (const s of SERVICES) {
    lines.push(`  ${s}:`, `    context: ${s}`, '    template: go', `    with: { binary: bin-${version} }`, `    tags: ["registry.example/${s}:${version}"]`);
  }
  return lines.join('\n') + '\n';
}

function layout(): Tree {
  return Object.fromEntries(SERVICES.map((s) => [`${s}/go.mod`, `module example.com/${s}\n`]));
}

const OUTPUTS = [...SERVICES.map((s) => `${s}/Dockerfile`), 'docker-bake.hcl'];

function tmpFiles(root: string): string[] {
  return [...listTree(root).keys()].filter((k) => /(^|\/)\.[^/]+\.\d+\.tmp$/.test(k));
}

/** The files `gen` writes for a spec, from a clean run in a scratch repository. */
function expectedOutputs(version: 'a' | 'b'): Map<string, string> {
  const dir = tempRepo({ ...layout(), 'matrix.yaml': spec(version) });
  const r = spawnSync(process.execPath, [BIN, 'gen', '-q'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return new Map(OUTPUTS.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

describe('matrix gen killed with SIGKILL at random moments', () => {
  it('leaves each generated file entirely old or entirely new, and the next gen cleans up', async () => {
    const A = expectedOutputs('a');
    const B = expectedOutputs('b');
    for (const f of OUTPUTS) expect(A.get(f), f).not.toBe(B.get(f));

    // Two repositories in parallel, 25 kills each; a fixed sequence of delays (a failure must reproduce).
    const stats = { killed: 0, completed: 0, killedWhileWriting: 0, tempFilesSeen: 0 };
    const lane = async (repo: string, seed: number) => {
      const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      for (let i = 0; i < 25; i++) {
        const version = i % 2 ? 'b' : 'a';
        writeFileSync(path.join(repo, 'matrix.yaml'), spec(version));
        const child = spawn(process.execPath, [BIN, 'gen', '-q'], { cwd: repo, stdio: 'ignore' });
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        let watcher: FSWatcher | undefined;
        if (i % 2) {
          // Every other run: kill as soon as a temp file appears (inside the write phase).
          const dir = path.join(repo, SERVICES[Math.floor(rand() * SERVICES.length)]!);
          watcher = watch(dir, (_e, name) => {
            if (name && String(name).endsWith('.tmp')) {
              stats.killedWhileWriting++;
              child.kill('SIGKILL');
            }
          });
        } else {
          setTimeout(() => child.kill('SIGKILL'), Math.floor(rand() * 400));
        }
        const code = await exited;
        watcher?.close();
        if (code === 0) stats.completed++;
        else stats.killed++;

        stats.tempFilesSeen += tmpFiles(repo).length;
        for (const f of OUTPUTS) {
          const abs = path.join(repo, f);
          if (!existsSync(abs)) continue; // not written yet
          const text = readFileSync(abs, 'utf8');
          expect(text === A.get(f) || text === B.get(f), `iteration ${i}: ${f} is neither the old nor the new content`).toBe(true);
        }
      }
    };
    const repos = [tempRepo(layout()), tempRepo(layout())];
    await Promise.all(repos.map((r, i) => lane(r, 0x5eed + i)));

    for (const repo of repos) {
      // One clean run of the other version rewrites every file: stale temp files go with it.
      writeFileSync(path.join(repo, 'matrix.yaml'), spec('a'));
      const gen = await matrixAsync(['gen'], repo);
      expect(gen.status, gen.stderr).toBe(0);
      writeFileSync(path.join(repo, 'matrix.yaml'), spec('b'));
      const gen2 = await matrixAsync(['gen'], repo);
      expect(gen2.status, gen2.stderr).toBe(0);
      expect(tmpFiles(repo), 'temp files left after a complete gen').toEqual([]);
      for (const f of OUTPUTS) expect(readFileSync(path.join(repo, f), 'utf8'), f).toBe(B.get(f));
      const check = await matrixAsync(['gen', '--check'], repo);
      expect(check.status, check.stdout).toBe(0);
    }
    expect(stats.killed, JSON.stringify(stats)).toBeGreaterThan(10);
    console.log(`SIGKILL loop: ${JSON.stringify(stats)}`);
  }, 120_000);

  it('removes temp files of dead processes (and a reused pid of its own), never a live one', async () => {
    const repo = tempRepo({ ...layout(), 'matrix.yaml': spec('a') });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    // Left by killed runs: pids that cannot exist (beyond pid_max) ...
    writeFileSync(path.join(repo, 's0', '.Dockerfile.999999999.tmp'), 'half a Dockerf');
    writeFileSync(path.join(repo, '.docker-bake.hcl.4194399.tmp'), 'target "x');
    // ... and one of a live process (this test runner): not ours to touch.
    const live = path.join(repo, 's1', `.Dockerfile.${process.pid}.tmp`);
    writeFileSync(live, 'someone else is writing');
    writeFileSync(path.join(repo, 'matrix.yaml'), spec('b'));
    const gen = await matrixAsync(['gen', '-q'], repo);
    expect(gen.status, gen.stderr).toBe(0);
    expect(tmpFiles(repo)).toEqual([`s1/.Dockerfile.${process.pid}.tmp`]);
    expect(readFileSync(live, 'utf8')).toBe('someone else is writing');
    expect((await matrixAsync(['gen', '--check'], repo)).status).toBe(0);
  });
});

// A catchable signal during the writes waits for the last rename and for the record kept after
// them (src/cli/gen-run.ts holdingSignals): no mix of old and new files, no temp file left, and
// the run says it was interrupted. Before, the default action ended the process between two
// renames, or while it read the files back for its record.
describe('matrix gen interrupted (SIGINT, SIGTERM) while it writes', () => {
  const MANY = Array.from({ length: 150 }, (_, i) => `s${i}`);
  const many = (version: 'a' | 'b') =>
    ['version: 1', 'services:', ...MANY.flatMap((s) => [`  ${s}:`, `    context: ${s}`, '    template: go', `    with: { binary: bin-${version} }`])].join('\n') + '\n';
  const files = [...MANY.map((s) => `${s}/Dockerfile`), 'docker-bake.hcl'];

  it('finishes every rename first: all files old or all new, no temp file, exit 128+signal with its line', async () => {
    const repo = tempRepo(Object.fromEntries(MANY.map((s) => [`${s}/go.mod`, `module example.com/${s}\n`])));
    let held = 0;
    for (const [i, sig] of (['SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM'] as const).entries()) {
      const version = i % 2 ? 'b' : 'a';
      writeFileSync(path.join(repo, 'matrix.yaml'), many(version));
      const child = spawn(process.execPath, [BIN, 'gen', '-q'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
      // The first temp file in the first service's directory: the write phase has begun.
      const watcher = watch(path.join(repo, 's0'), (_e, name) => {
        if (name && String(name).endsWith('.tmp')) child.kill(sig);
      });
      const [code, signal] = await exited;
      watcher.close();
      expect(tmpFiles(repo), `run ${i}: temp files left`).toEqual([]);
      // Nor its lock: the exit by the held signal ran no `finally`, and a lock left with a pid that the next
      // run has too (pid 1 in every container) blocked every later gen there.
      expect(
        readdirSync(path.join(repo, '.git')).filter((n) => n.includes('.lock')),
        `run ${i}: lock left`,
      ).toEqual([]);
      const texts = new Set(files.map((f) => (existsSync(path.join(repo, f)) ? readFileSync(path.join(repo, f), 'utf8').includes(`bin-${version}`) || f === 'docker-bake.hcl' : false)));
      expect([...texts], `run ${i}: some files new, some old`).toEqual([true]);
      if (code === 128 + (sig === 'SIGINT' ? 2 : 15)) {
        held++;
        expect(stderr).toContain(`interrupted by ${sig}`);
      } else expect([code, signal], `run ${i}: ${stderr}`).toEqual([0, null]);
    }
    // Each signal went in while the files were being written.
    expect(held).toBeGreaterThan(0);
    const check = await matrixAsync(['gen', '--check'], repo);
    expect(check.status, check.stdout).toBe(0);
  }, 120_000);

  it('a signal as the last files or the record are renamed into place is never lost, nor an end by the signal itself: exit 128+signal with its line', async () => {
    const repo = tempRepo(Object.fromEntries(MANY.map((s) => [`${s}/go.mod`, `module example.com/${s}\n`])));
    const gitDir = path.join(repo, '.git');
    // The signal comes as the last service's Dockerfile (among the last renames) or the record is renamed into place.
    const last = `${MANY.at(-1)}/Dockerfile`;
    const cases = [
      ['SIGTERM', last],
      ['SIGINT', 'matrix-check-'],
      ['SIGHUP', last],
      ['SIGTERM', 'matrix-check-'],
    ] as const;
    for (const [i, [sig, at]] of cases.entries()) {
      const version = i % 2 ? 'b' : 'a';
      writeFileSync(path.join(repo, 'matrix.yaml'), many(version));
      const env = { ...process.env, NODE_OPTIONS: `--require ${SIGNAL_AT_RENAME}`, MATRIX_TEST_SIGNAL_AT: at, MATRIX_TEST_SIGNAL: sig };
      const r = spawnSync(process.execPath, [BIN, 'gen', '-q'], { cwd: repo, encoding: 'utf8', env });
      expect([r.status, r.signal], `run ${i}: ${r.stderr}`).toEqual([128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[sig], null]);
      expect(r.stderr).toContain(`interrupted by ${sig}`);
      expect(tmpFiles(repo), `run ${i}: temp files left`).toEqual([]);
      expect(
        readdirSync(gitDir).filter((n) => n.includes('.lock')),
        `run ${i}: lock left`,
      ).toEqual([]);
      expect(
        readdirSync(gitDir).filter((n) => n.endsWith('.tmp')),
        `run ${i}: temp files left in the git directory`,
      ).toEqual([]);
      expect(
        files.every((f) => f === 'docker-bake.hcl' || readFileSync(path.join(repo, f), 'utf8').includes(`bin-${version}`)),
        `run ${i}`,
      ).toBe(true);
      const check = await matrixAsync(['gen', '--check'], repo);
      expect(check.status, check.stdout).toBe(0);
    }
  }, 120_000);
});

describe.concurrent('two matrix gen runs at once', () => {
  it('never corrupt the output: both succeed with identical files, or the loser says the repository is locked', async () => {
    const B = expectedOutputs('b');
    for (let i = 0; i < 4; i++) {
      const repo = tempRepo({ ...layout(), 'matrix.yaml': spec(i % 2 ? 'b' : 'a') });
      if (i % 2) expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
      writeFileSync(path.join(repo, 'matrix.yaml'), spec('b'));
      const runs = await Promise.all([matrixAsync(['gen'], repo), matrixAsync(['gen'], repo)]);
      for (const r of runs) {
        if (r.status !== 0) {
          expect(r.status, r.stderr).toBe(2);
          expect(r.stderr).toMatch(/another `matrix gen` .* is writing .*\[locked\]/);
        }
      }
      expect(runs.some((r) => r.status === 0)).toBe(true);
      for (const f of OUTPUTS) expect(readFileSync(path.join(repo, f), 'utf8'), f).toBe(B.get(f));
      expect(tmpFiles(repo)).toEqual([]);
      expect((await matrixAsync(['gen', '--check'], repo)).status).toBe(0);
    }
  }, 60_000);

  it('a run that finds the lock held by a live process gives up with a clear message and writes nothing', async () => {
    const repo = tempRepo({ ...layout(), 'matrix.yaml': spec('a') });
    // The lock lives in the repository's git directory (a tempRepo's .git).
    const release = acquireLock(realpathSync(repo), 3000, path.join(repo, '.git'));
    try {
      const before = hashTree(repo);
      const r = await matrixAsync(['gen'], repo);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`another \`matrix gen\` (pid ${process.pid}) is writing`);
      expect(r.stderr).toMatch(/\[locked\]\n {2}hint: wait for it to finish/);
      expect(hashTree(repo)).toBe(before);
    } finally {
      release();
    }
  });
});

describe.concurrent('outputs stay inside the repository', () => {
  it('a context reached through a symlinked directory outside the repository is refused, and nothing outside changes', async () => {
    const outside = tempDir('matrix-outside-');
    writeFileSync(path.join(outside, 'go.mod'), 'module example.com/outside\n');
    const repo = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: link\n    template: go\n', link: { symlink: outside } });
    const before = [hashTree(repo), hashTree(outside)];
    const r = await matrixAsync(['gen'], repo);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[path-outside-repo]');
    expect([hashTree(repo), hashTree(outside)]).toEqual(before);
    expect(existsSync(path.join(outside, 'Dockerfile'))).toBe(false);
  });

  it('a symlinked directory inside the repository is written through to its real place, still inside', async () => {
    const repo = tempRepo({ 'real/go.mod': 'module example.com/real\n', alias: { symlink: 'real' }, 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: alias\n    template: go\n' });
    const r = await matrixAsync(['gen'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(repo, 'real', 'Dockerfile'))).toBe(true);
    expect(readdirSync(repo).sort()).toEqual(['.git', 'alias', 'docker-bake.hcl', 'matrix.yaml', 'real']);
  });

  it('an edited manifest in the bake file cannot make gen delete files outside, through links, or the ones it writes', async () => {
    const outside = tempDir('matrix-outside-');
    const generatedHeader = '# Code generated by matrix from matrix.yaml; DO NOT EDIT.\nFROM scratch\n';
    writeFileSync(path.join(outside, 'Dockerfile'), generatedHeader);
    const repo = tempRepo({ ...layout(), 'matrix.yaml': spec('a'), link: { symlink: outside } });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const bakeFile = path.join(repo, 'docker-bake.hcl');
    const rel = path.relative(repo, outside);
    const manifest = ['# generated: link/Dockerfile', `# generated: ${rel}/Dockerfile`, `# generated: ${outside}/Dockerfile`, '# generated: ./s0/Dockerfile', '# generated: s1//Dockerfile'];
    writeFileSync(bakeFile, readFileSync(bakeFile, 'utf8').replace('# generated: s0/Dockerfile\n', `${manifest.join('\n')}\n# generated: s0/Dockerfile\n`));
    writeFileSync(path.join(repo, 'matrix.yaml'), spec('b'));
    const before = hashTree(outside);
    const r = await matrixAsync(['gen'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('removed');
    expect(hashTree(outside)).toBe(before);
    for (const f of OUTPUTS) expect(existsSync(path.join(repo, f)), f).toBe(true);
    expect((await matrixAsync(['gen', '--check'], repo)).status).toBe(0);
  });
});

// Syscalls that create, change or remove a file or directory.
const WRITING_CALLS = [
  'creat',
  'mkdir',
  'mkdirat',
  'rename',
  'renameat',
  'renameat2',
  'unlink',
  'unlinkat',
  'rmdir',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'truncate',
  'chmod',
  'fchmodat',
  'utimensat',
  'utimes',
];
const straceOk = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!straceOk && process.env.CI !== 'true')('gen --check under strace', () => {
  it('strace is installed', () => {
    expect(straceOk, 'strace is missing: apt-get install -y strace').toBe(true);
  });

  /** Every call that could write under `root`, from `strace -f` of `matrix gen --check`. */
  function writesUnder(root: string, cwd: string): { status: number | null; writes: string[]; traced: number; reads: Map<string, number> } {
    const log = path.join(tempDir('matrix-strace-'), 'trace.txt');
    const r = spawnSync('strace', ['-f', '-qq', '-s', '4096', '-o', log, '-e', `trace=open,openat,openat2,${WRITING_CALLS.join(',')}`, process.execPath, BIN, 'gen', '--check'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const real = realpathSync(root);
    const under = (p: string) => {
      const abs = path.resolve(cwd, p);
      return abs === root || abs.startsWith(root + '/') || abs === real || abs.startsWith(real + '/');
    };
    const writes: string[] = [];
    for (const line of lines) {
      const call = /^\d+\s+(\w+)\((.*)$/.exec(line);
      if (!call) continue;
      const [, name, rest] = call;
      const paths = [...rest!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      if (name === 'open' || name === 'openat' || name === 'openat2') {
        const relativeToFd = name !== 'open' && !rest!.startsWith('AT_FDCWD') && !paths[0]?.startsWith('/');
        if (/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(rest!) && (relativeToFd || paths.some(under))) writes.push(line);
      } else if (WRITING_CALLS.includes(name!) && paths.some(under)) writes.push(line);
    }
    // Opens for reading, per path under the root (relative to it).
    const reads = new Map<string, number>();
    for (const line of lines) {
      const call = /^\d+\s+(open|openat|openat2)\((.*)$/.exec(line);
      if (!call || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(call[2]!) || / = -1 /.test(call[2]!)) continue;
      const p = /"((?:[^"\\]|\\.)*)"/.exec(call[2]!)?.[1];
      if (!p || !under(p)) continue;
      const abs = path.resolve(cwd, p);
      const rel = path.relative(abs.startsWith(real + '/') ? real : root, abs);
      reads.set(rel, (reads.get(rel) ?? 0) + 1);
    }
    return { status: r.status, writes, traced: lines.length, reads };
  }

  it('opens nothing under the repository for writing, whether the files are current, stale or missing', async () => {
    const repo = tempRepo({ ...layout(), 'matrix.yaml': spec('a') });
    // Missing: nothing generated yet.
    const missing = writesUnder(repo, repo);
    expect(missing.status).toBe(1);
    expect(missing.traced).toBeGreaterThan(10);
    expect(missing.writes).toEqual([]);
    // Current.
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const current = writesUnder(repo, repo);
    expect(current.status).toBe(0);
    expect(current.writes).toEqual([]);
    // Up to date: the spec and every generated file are read exactly once.
    for (const f of ['matrix.yaml', ...OUTPUTS]) expect(current.reads.get(f), f).toBe(1);
    // Stale, with a stray temp file of a dead process that only `gen` may remove.
    writeFileSync(path.join(repo, 's0', '.Dockerfile.999999999.tmp'), 'x');
    writeFileSync(path.join(repo, 'matrix.yaml'), spec('b'));
    const stale = writesUnder(repo, repo);
    expect(stale.status).toBe(1);
    expect(stale.writes).toEqual([]);
    expect(existsSync(path.join(repo, 's0', '.Dockerfile.999999999.tmp'))).toBe(true);
  }, 60_000);
});
