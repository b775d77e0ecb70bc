// Files and processes under attack or bad luck, for real: FIFOs, devices and
// symbolic links where matrix reads, a full tmpfs, a read-only mount and a
// directory it may not write, things planted at the lock path, a `--keep`
// directory that holds the user's work, hostile shard files, and signals to
// a running `matrix bake`.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planMerge } from '../../src/ci/merge.js';
import { readShardResult, shardPlan, shardResult, tempTagFor, type ShardResult } from '../../src/ci/shard.js';
import { selectTargets } from '../../src/bake/command.js';
import { FileFault, readRegularText } from '../../src/fs/read.js';
import { writeFileAtomic } from '../../src/fs/write.js';
import { lockPath } from '../../src/output/lock.js';
import { BIN } from '../helpers/cli.js';
import { compileSpec } from '../helpers/spec.js';
import { hashTree, listTree, removeTempDirs, REPO_ROOT, tempDir, tempRepo, writeTree } from '../helpers/tree.js';
import { diagnosticBlocks, matrixAsync } from './run.js';

afterAll(removeTempDirs);

const isRoot = process.getuid?.() === 0;
const COUNT_WAITS = path.join(REPO_ROOT, 'test', 'helpers', 'count-waits.cjs');

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo: ${r.stderr}`);
}

/** The code of the FileFault `f` throws, or 'no error'. */
function fault(f: () => unknown): { reason: string; code: string; message: string; exitCode: number } | 'no error' {
  try {
    f();
  } catch (e) {
    if (!(e instanceof FileFault)) throw e;
    return { reason: e.reason, code: e.diagnostics[0]!.code, message: e.message, exitCode: e.exitCode };
  }
  return 'no error';
}

const SPEC = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    tags: ["r.example/api:1"]\n';
const LAYOUT = { 'api/go.mod': 'module example.com/api\n', 'matrix.yaml': SPEC };

describe('readRegularText: one reader for every file matrix reads', () => {
  it('refuses a FIFO at once (it would block a plain open), by path and through a symlink', () => {
    const dir = tempDir();
    mkfifo(path.join(dir, 'fifo'));
    symlinkSync('fifo', path.join(dir, 'link'));
    // A reader that opened the FIFO would block this worker for good: that it returns is "at once".
    expect(fault(() => readRegularText(path.join(dir, 'fifo')))).toMatchObject({ reason: 'not-a-file', message: expect.stringContaining('a FIFO (named pipe), not a regular file') });
    expect(fault(() => readRegularText(path.join(dir, 'link')))).toMatchObject({ reason: 'not-a-file' });
  });

  it('refuses devices and symlinks to them (/dev/zero would feed it without end)', () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', path.join(dir, 'zero'));
    expect(fault(() => readRegularText(path.join(dir, 'zero')))).toMatchObject({ reason: 'not-a-file', message: expect.stringContaining('a character device') });
    expect(fault(() => readRegularText('/dev/null'))).toMatchObject({ reason: 'not-a-file' });
    expect(fault(() => readRegularText(dir))).toMatchObject({ reason: 'not-a-file', message: expect.stringContaining('a directory') });
  });

  it('enforces the size limit while reading, not from stat (a /proc file says size 0)', () => {
    expect(lstatSync('/proc/self/maps').size).toBe(0);
    expect(fault(() => readRegularText('/proc/self/maps', { maxBytes: 64 }))).toMatchObject({ reason: 'too-large', code: 'file-too-large' });
    expect(readRegularText('/proc/self/maps').length).toBeGreaterThan(64);
  });

  it('refuses a symbolic link where none is allowed, and names a dangling one', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'real'), 'x');
    symlinkSync('real', path.join(dir, 'link'));
    symlinkSync('gone', path.join(dir, 'dangling'));
    expect(readRegularText(path.join(dir, 'link'))).toBe('x');
    expect(fault(() => readRegularText(path.join(dir, 'link'), { followSymlinks: false }))).toMatchObject({ reason: 'symlink' });
    expect(fault(() => readRegularText(path.join(dir, 'dangling')))).toMatchObject({ reason: 'io', exitCode: 74, message: expect.stringContaining('dangling symbolic link') });
  });

  it.each([
    ['a FIFO', (p: string) => mkfifo(p)],
    ['a symlink to /dev/zero', (p: string) => symlinkSync('/dev/zero', p)],
    ['a directory', (p: string) => mkdirSync(p)],
  ])('a spec that is %s: exit 2 at once with the path and the cause, nothing written', async (_what, make) => {
    const repo = tempRepo({ 'api/go.mod': 'module x\n' });
    make(path.join(repo, 'matrix.yaml'));
    const before = hashTree(repo);
    const r = await matrixAsync(['gen'], repo, {}, 10_000);
    expect(r.status, r.stderr).toBe(2);
    // Ended by itself (not killed at the time-out): it read no FIFO, and not /dev/zero up to the size limit (the message says which refusal).
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/^matrix\.yaml: error cannot read matrix\.yaml: it is (a FIFO|a character device|a directory)/m);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(hashTree(repo)).toBe(before);
  });

  it("a user template that is a FIFO is a located error at the service's template, not a hang", async () => {
    const repo = tempRepo({ 'api/go.mod': 'module x\n', 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: api\n    template: tpl/api.hbs\n' });
    mkdirSync(path.join(repo, 'tpl'));
    mkfifo(path.join(repo, 'tpl', 'api.hbs'));
    const r = await matrixAsync(['gen'], repo, {}, 10_000);
    expect(r.status, r.stderr).toBe(2);
    const block = diagnosticBlocks(r.stderr).find((b) => b[0]!.startsWith('matrix.yaml:5:15: error '));
    expect(block?.[0], r.stderr).toMatch(/(FIFO|not a regular file).*\[(not-a-regular-file|path-not-a-file|not-a-file)\]|\[[a-z-]+\]/);
  });
});

describe('writes: every byte or nothing', () => {
  it('writeFileAtomic on a full tmpfs: ENOSPC with the path, old file intact, no temp file left', { skip: !isRoot }, () => {
    const mnt = mkdtempSync(path.join(os.tmpdir(), 'matrix-tmpfs-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status).toBe(0);
    try {
      const file = path.join(mnt, 'out.txt');
      writeFileSync(file, 'old\n');
      const err = fault(() => writeFileAtomic(file, Buffer.alloc(256 * 1024, 'x')));
      expect(err).toMatchObject({ code: 'write-failed', message: expect.stringContaining('no space left on device (ENOSPC)') });
      expect(readFileSync(file, 'utf8')).toBe('old\n');
      expect(readdirSync(mnt)).toEqual(['out.txt']);
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('matrix gen on a full disk: exit 74 naming the file and ENOSPC; every output old, no temp file', { skip: !isRoot }, async () => {
    const mnt = mkdtempSync(path.join(os.tmpdir(), 'matrix-tmpfs-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).toBe(0);
    try {
      const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
      const spec = (v: string) =>
        [
          'version: 1',
          'services:',
          ...names.flatMap((s) => [`  ${s}:`, `    context: ${s}`, '    template: go', `    tags: ["r.example/${s}:${v}"]`, `    labels: { pad: "${v.repeat(1000)}" }`]),
        ].join('\n') + '\n';
      mkdirSync(path.join(mnt, '.git'));
      for (const s of names) {
        mkdirSync(path.join(mnt, s));
        writeFileSync(path.join(mnt, s, 'go.mod'), 'module x\n');
      }
      writeFileSync(path.join(mnt, 'matrix.yaml'), spec('a'));
      const first = await matrixAsync(['gen', '-q'], mnt);
      expect(first.status, first.stderr).toBe(0);
      // Fill the disk, leaving less than the new bake file needs.
      const free = Number(spawnSync('df', ['--output=avail', '-B1', mnt], { encoding: 'utf8' }).stdout.split('\n')[1]);
      writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(Math.max(0, free - 8 * 1024)));
      writeFileSync(path.join(mnt, 'matrix.yaml'), spec('b'));
      const before = hashTree(mnt);
      const r = await matrixAsync(['gen'], mnt);
      // A fault of the machine: one line, exit 74 (src/cli/faults.ts), as for every other command.
      expect(r.status, r.stderr).toBe(74);
      expect(r.stderr).toMatch(/^matrix: cannot write \S+: no space left on device \(ENOSPC\)\n$/);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(hashTree(mnt)).toBe(before);
      rmSync(path.join(mnt, 'filler'));
      expect((await matrixAsync(['gen', '-q'], mnt)).status).toBe(0);
      expect(readFileSync(path.join(mnt, 'docker-bake.hcl'), 'utf8')).toContain('r.example/s0:b');
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('matrix gen on a read-only file system: exit 74 with EROFS and the path, nothing changed', { skip: !isRoot }, async () => {
    const mnt = mkdtempSync(path.join(os.tmpdir(), 'matrix-tmpfs-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).toBe(0);
    try {
      mkdirSync(path.join(mnt, '.git'));
      mkdirSync(path.join(mnt, 'api'));
      writeFileSync(path.join(mnt, 'api', 'go.mod'), 'module x\n');
      writeFileSync(path.join(mnt, 'matrix.yaml'), SPEC);
      expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
      const r = await matrixAsync(['gen'], mnt);
      expect(r.status, r.stderr).toBe(74);
      expect(r.stderr).toMatch(/^matrix: cannot write api\/Dockerfile: read-only file system \(EROFS\)\n$/);
      expect(listTree(mnt).has('api/Dockerfile')).toBe(false);
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('matrix gen in a directory it may not write (as an unprivileged user): EACCES with the path, nothing changed', { skip: !isRoot || !existsSync('/usr/bin/setpriv') }, () => {
    // The repository in a directory of its own that the user may enter: never chmod the system's
    // temp directory itself (it is shared; without its sticky, world-writable mode other users'
    // programs, apt's sandboxed downloads among them, cannot write there).
    const parent = tempDir('matrix-eacces-');
    chmodSync(parent, 0o755);
    const repo = path.join(parent, 'repo');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    writeTree(repo, LAYOUT);
    chmodSync(repo, 0o755);
    const before = hashTree(repo);
    // The lock falls back to the temp dir (the git dir is not writable for this user either).
    const tmp = tempDir('matrix-tmp-');
    chmodSync(tmp, 0o1777);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'gen'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: '/nonexistent', TMPDIR: tmp },
    });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toMatch(/^matrix: cannot write api\/Dockerfile: permission denied \(EACCES\)\n$/);
    expect(hashTree(repo)).toBe(before);
  });
});

describe('the gen lock cannot be redirected', () => {
  const cases: [string, (p: string, outside: string) => void, RegExp][] = [
    ['a directory', (p) => mkdirSync(p), /is a directory/],
    ['a FIFO', (p) => mkfifo(p), /is a FIFO/],
    ['a symlink to a file of the user', (p, outside) => symlinkSync(path.join(outside, 'precious'), p), /is a symbolic link/],
    ['a dangling symlink', (p, outside) => symlinkSync(path.join(outside, 'nothing-yet'), p), /is a symbolic link/],
  ];
  it.each(cases)('%s at the lock path: exit 2 at once (lock-unusable), nothing written through it', async (_what, plant, message) => {
    const repo = tempRepo(LAYOUT);
    const outside = tempDir('matrix-outside-');
    writeFileSync(path.join(outside, 'precious'), 'user data\n');
    const lock = lockPath(path.resolve(repo), path.join(repo, '.git'));
    plant(lock, outside);
    const before = hashTree(outside);
    const waits = path.join(tempDir('matrix-waits-'), 'count');
    const r = await matrixAsync(['gen'], repo, { NODE_OPTIONS: `--require ${COUNT_WAITS}`, MATRIX_TEST_WAITS: waits }, 10_000);
    expect(r.status, r.stderr).toBe(2);
    // At once: refused without one retry of the lock (each retry sleeps with Atomics.wait).
    expect(readFileSync(waits, 'utf8')).toBe('0');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('[lock-unusable]');
    expect(hashTree(outside)).toBe(before);
    expect(existsSync(path.join(outside, 'nothing-yet'))).toBe(false);
    expect(listTree(repo).has('api/Dockerfile')).toBe(false);
  });

  it("lives in the repository's git directory and is gone after the run", async () => {
    const repo = tempRepo(LAYOUT);
    const r = await matrixAsync(['gen'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(path.join(repo, '.git')).filter((n) => n.startsWith('matrix-gen-'))).toEqual([]);
  });
});

describe('gen never deletes an input of the spec', () => {
  it('a service switched from template: to dockerfile: at the same path adopts the file, edits and all', async () => {
    const repo = tempRepo(LAYOUT);
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const edited = readFileSync(path.join(repo, 'api/Dockerfile'), 'utf8') + 'LABEL edited=by-hand\n';
    writeFileSync(path.join(repo, 'api/Dockerfile'), edited);
    writeFileSync(path.join(repo, 'matrix.yaml'), SPEC.replace('template: go', 'dockerfile: api/Dockerfile'));
    const check = await matrixAsync(['gen', '--check'], repo);
    expect(check.stdout).not.toMatch(/orphaned/);
    const r = await matrixAsync(['gen'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/removed/);
    expect(readFileSync(path.join(repo, 'api/Dockerfile'), 'utf8')).toBe(edited);
    expect((await matrixAsync(['gen', '--check'], repo)).status).toBe(0);
  });

  it("a once-generated file that is now a template, a secret file or another service's Dockerfile stays", async () => {
    const spec2 = ['version: 1', 'services:', '  api:', '    context: api', '    template: go', '  web:', '    context: web', '    template: go', ''].join('\n');
    const repo = tempRepo({ 'api/go.mod': 'module a\n', 'web/go.mod': 'module w\n', 'matrix.yaml': spec2 });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    // web's generated Dockerfile becomes api's secret file and web now builds it as its own Dockerfile.
    const webDockerfile = readFileSync(path.join(repo, 'web/Dockerfile'), 'utf8');
    const spec3 = spec2
      .replace('    context: web\n    template: go', '    context: web\n    dockerfile: web/Dockerfile')
      .replace('    template: go\n  web', '    template: go\n    secrets: [{ id: s, src: web/Dockerfile }]\n  web');
    writeFileSync(path.join(repo, 'matrix.yaml'), spec3);
    const r = await matrixAsync(['gen'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(repo, 'web/Dockerfile'), 'utf8')).toBe(webDockerfile);
  });
});

describe('verify --keep removes only what it created', () => {
  it('refuses a --keep directory whose TARGET entry exists (a service directory), and touches nothing', async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const before = hashTree(repo);
    // `--keep .` would make api/ (the service directory) the layout of target api.
    const r = await matrixAsync(['verify', 'api', '--keep', '.'], repo, { MATRIX_DOCKER: path.join(repo, 'no-docker') });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/already exists; matrix verify .* never replaces one/);
    expect(hashTree(repo)).toBe(before);
  });

  it('a failed rebuild removes the layout directories it created, and only those', async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const keep = tempDir('matrix-keep-');
    writeFileSync(path.join(keep, 'notes.txt'), 'mine\n');
    const docker = fakeDocker(tempDir());
    const r = await matrixAsync(['verify', 'api', '--keep', keep, '--against', 'localhost:5999/x/api:1'], repo, { MATRIX_DOCKER: docker.bin, FAKE_BAKE: 'fail', FAKE_PIDS: docker.pids });
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/the rebuild failed/);
    expect(readdirSync(keep)).toEqual(['notes.txt']);
    // A --keep path that did not exist: the directories the run made for it go too.
    const fresh = path.join(keep, 'new', 'deeper');
    const r2 = await matrixAsync(['verify', 'api', '--keep', fresh, '--against', 'localhost:5999/x/api:1'], repo, { MATRIX_DOCKER: docker.bin, FAKE_BAKE: 'fail', FAKE_PIDS: docker.pids });
    expect(r2.status, r2.stderr).toBe(1);
    expect(readdirSync(keep)).toEqual(['notes.txt']);
  });
});

describe('verify: a rebuild stopped by a full disk', () => {
  it('is a fault of the machine (exit 74, the line, where to make room), and the layout directories it made go', async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const keep = tempDir('matrix-keep-');
    const docker = fakeDocker(tempDir());
    const r = await matrixAsync(['verify', 'api', '--keep', keep, '--against', 'localhost:5999/x/api:1'], repo, { MATRIX_DOCKER: docker.bin, FAKE_BAKE: 'enospc', FAKE_PIDS: docker.pids });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toContain('matrix: the rebuild stopped on a fault of this machine, not of the spec or the build: no space left on device (ENOSPC)');
    expect(r.stderr).toContain('  ERROR: failed to solve: error from receiver: write /full/api/blobs/sha256/ab: no space left on device');
    expect(r.stderr).not.toMatch(/the rebuild failed/);
    expect(readdirSync(keep)).toEqual([]);
  });
});

describe('verify: a rebuild failed on a snapshot the engine lost', () => {
  it("is the engine's fault (the line, and the cache to clear: a rebuild is already --no-cache), exit 1", async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const docker = fakeDocker(tempDir());
    const r = await matrixAsync(['verify', 'api', '--against', 'localhost:5999/x/api:1'], repo, { MATRIX_DOCKER: docker.bin, FAKE_BAKE: 'lost', FAKE_PIDS: docker.pids });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix: the rebuild failed on a fault of the engine, not of the spec or the build: its storage lists snapshot aaa');
    expect(r.stderr).toContain('hint: the rebuild already ran without the cache; clear the build cache: `docker builder prune -af`');
    expect(r.stderr).not.toContain('--no-cache');
  });
});

/** A docker that passes the doctor and runs a `bake` that waits (with a grandchild) until signalled. */
function fakeDocker(dir: string): { bin: string; pids: string } {
  const bin = path.join(dir, 'docker');
  const pids = path.join(dir, 'pids');
  writeFileSync(
    bin,
    [
      '#!/bin/sh',
      'case "$1 $2" in',
      '  "version --format") [ -n "$FAKE_SLOW_DOCTOR" ] && { echo $$ >> "$FAKE_PIDS"; sleep 300; echo $$ >> "$FAKE_PIDS.done"; }; echo 26.1.0 ;;',
      '  "buildx version") echo "github.com/docker/buildx v0.13.1 fake" ;;',
      // A slow doctor: every probe a build's doctor may start first (`buildx inspect` alone when it answers, src/doctor/doctor.ts quickChecks).
      '  "buildx inspect") [ -n "$FAKE_SLOW_DOCTOR" ] && { echo $$ >> "$FAKE_PIDS"; sleep 300; echo $$ >> "$FAKE_PIDS.done"; }; printf "Name:   default\\nDriver: docker\\nPlatforms: linux/amd64\\n" ;;',
      '  "info --format") echo \'[["driver-type","io.containerd.snapshotter.v1"]]\' ;;',
      // What buildx prints (util/imagetools/printers.go): `{{json .Manifest}}` of a single image is its descriptor; `--raw`, the manifest itself.
      '  "buildx imagetools") case " $* " in',
      '    *" --raw "*) printf \'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%064d","size":1},"layers":[]}\' 0 ;;',
      '    *) printf \'{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":1}\' 0 ;;',
      '  esac ;;',
      '  "buildx bake")',
      '    [ "$FAKE_BAKE" = fail ] && { echo "ERROR: failed to solve" >&2; exit 1; }',
      '    [ "$FAKE_BAKE" = enospc ] && { echo "ERROR: failed to solve: error from receiver: write /full/api/blobs/sha256/ab: no space left on device" >&2; exit 1; }',
      '    [ "$FAKE_BAKE" = lost ] && { echo "#9 ERROR: failed to commit aaa to bbb during finalize: failed to stat active key during commit: snapshot aaa does not exist: not found" >&2; exit 1; }',
      '    sleep 300 & echo $! >> "$FAKE_PIDS"; echo $$ >> "$FAKE_PIDS"',
      '    echo "#1 [internal] load build definition" >&2',
      // Reached only if the build ran to its end, which takes 300 s.
      '    wait; echo "$$" >> "$FAKE_PIDS.done" ;;',
      '  *) exit 0 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return { bin, pids };
}

/**
 * What a run left in its temp dir: every entry but the user's private record
 * directory (`bake-matrix-UID`, src/cache/store.ts), where bake keeps the
 * record of its compile; in that directory, anything but a whole record (a
 * temporary file of one, say) is left over too.
 */
function leftInTmp(tmp: string): string[] {
  const records = `bake-matrix-${process.getuid!()}`;
  // bake's records, and the seal every record reads (src/cache/store.ts sealPath): kept on purpose, as records are.
  const inRecords = existsSync(path.join(tmp, records)) ? readdirSync(path.join(tmp, records)).filter((n) => !/^matrix-bake-[0-9a-f]{16}\.json$/.test(n) && n !== 'record-seal') : [];
  return [...readdirSync(tmp).filter((n) => n !== records), ...inRecords.map((n) => `${records}/${n}`)];
}

/** The pids of the file that still run (a zombie waiting for a reaper that may be missing in a container is not running). */
function aliveAll(pidsFile: string): number[] {
  if (!existsSync(pidsFile)) return [];
  return readFileSync(pidsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    });
}

describe('signals to matrix bake (fake docker)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s during the build: the whole docker group stops, temp dirs are removed, exit %i',
    async (sig, code) => {
      const repo = tempRepo(LAYOUT);
      spawnSync('git', ['init', '-q'], { cwd: repo });
      expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
      const fake = fakeDocker(tempDir());
      const tmp = tempDir('matrix-tmpdir-');
      const child = spawn(process.execPath, [BIN, 'bake', 'api'], {
        cwd: repo,
        env: { ...process.env, NO_COLOR: '1', MATRIX_DOCKER: fake.bin, FAKE_PIDS: fake.pids, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      const deadline = Date.now() + 20_000;
      while (!err.includes('load build definition') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(err).toContain('load build definition');
      expect(readdirSync(tmp).some((n) => n.startsWith('matrix-bake-'))).toBe(true);
      child.kill(sig);
      expect(await closed).toBe(code);
      // Not waited out: the fake build never got to its end; the whole group is gone.
      // SIGINT: the shell's background job ignores it (POSIX), so this also proves the SIGKILL after the grace period.
      expect(existsSync(`${fake.pids}.done`)).toBe(false);
      expect(aliveAll(fake.pids)).toEqual([]);
      expect(leftInTmp(tmp)).toEqual([]);
    },
    30_000,
  );

  it('SIGTERM while the doctor runs (no build yet): docker probes killed, temp dir removed, exit 143 at once', async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const fake = fakeDocker(tempDir());
    const tmp = tempDir('matrix-tmpdir-');
    const child = spawn(process.execPath, [BIN, 'bake', 'api'], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1', MATRIX_DOCKER: fake.bin, FAKE_PIDS: fake.pids, FAKE_SLOW_DOCTOR: '1', TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const deadline = Date.now() + 20_000;
    while (!existsSync(fake.pids) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    // Not waited out (the fake probe sleeps 300 s): matrix stopped it and says so.
    expect(err).toContain('matrix: interrupted by SIGTERM; stopped its child processes');
    expect(existsSync(`${fake.pids}.done`)).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(aliveAll(fake.pids)).toEqual([]);
    expect(leftInTmp(tmp)).toEqual([]);
  }, 30_000);
});

describe('signals to matrix verify (fake docker)', () => {
  it('SIGTERM during the rebuild: exit 143, the docker group gone, the temp layout dir removed', async () => {
    const repo = tempRepo(LAYOUT);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    expect((await matrixAsync(['gen', '-q'], repo)).status).toBe(0);
    const fake = fakeDocker(tempDir());
    const tmp = tempDir('matrix-tmpdir-');
    const child = spawn(process.execPath, [BIN, 'verify', 'api', '--against', 'localhost:5999/x/api:1'], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1', MATRIX_DOCKER: fake.bin, FAKE_PIDS: fake.pids, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const deadline = Date.now() + 20_000;
    while (!err.includes('load build definition') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain('load build definition');
    expect(readdirSync(tmp).some((n) => n.startsWith('matrix-verify-'))).toBe(true);
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(aliveAll(fake.pids)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  }, 30_000);
});

describe('merge: a shard file is untrusted input', () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;
  const spec = (() => {
    const c = compileSpec(
      ['version: 1', 'registry: localhost:5000/acme', 'platforms: [linux/amd64, linux/arm64]', 'services:', '  api:', '    context: api', '    template: go', ''].join('\n'),
      { 'api/go.mod': 'module x\n' },
      { validateOnly: true },
    );
    expect(c.diagnostics).toEqual([]);
    return c.spec!;
  })();
  const sel = selectTargets(spec, ['api'], ['linux/amd64']);
  const plan = shardPlan(sel, 'docker', '42-1');
  const good = (): ShardResult => shardResult(plan, 0, { api: { 'containerimage.digest': D1 } });
  const arm = (): ShardResult => shardResult(shardPlan(selectTargets(spec, ['api'], ['linux/arm64']), 'docker', '42-1'), 0, { api: { 'containerimage.digest': D2 } });

  function read(content: unknown): { result?: ShardResult; error?: string } {
    const dir = tempDir();
    const file = path.join(dir, 'shard.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return readShardResult(file);
  }

  it.each([
    ['a repository with a tag in it', (r: ShardResult) => (r.targets.api!.repository = 'localhost:5000/acme/api:latest'), /targets\.api\.repository/],
    ['a repository that is a flag', (r: ShardResult) => (r.targets.api!.repository = '--help'), /targets\.api\.repository/],
    ['a digest that is a path', (r: ShardResult) => (r.targets.api!.digest = 'sha256:../../etc'), /targets\.api\.digest/],
    ['a temp tag in another repository', (r: ShardResult) => (r.targets.api!.tempTags = ['localhost:5000/other/db:matrix-tmp-42-1-api-linux-amd64']), /targets\.api\.tempTags/],
    ['an unknown field', (r: ShardResult) => Object.assign(r, { exec: 'rm -rf /' }), /unknown field `exec`/],
    ['a target name that is not one', (r: ShardResult) => (r.targets['api,x'] = r.targets.api!), /not a target name/],
    ['a run id with a slash', (r: ShardResult) => (r.runId = '42/1'), /`runId`/],
    ['a platform list of objects', (r: ShardResult) => ((r as unknown as { platforms: unknown }).platforms = [{}]), /`platforms`/],
  ])('refuses %s, naming the field', (_what, mutate, message) => {
    const r = good();
    mutate(r);
    const out = read(r);
    expect(out.result).toBeUndefined();
    expect(out.error).toMatch(message);
  });

  it('refuses a FIFO, a device link and an oversized file without reading them', () => {
    const dir = tempDir();
    mkfifo(path.join(dir, 'fifo.json'));
    symlinkSync('/dev/zero', path.join(dir, 'zero.json'));
    writeFileSync(path.join(dir, 'big.json'), Buffer.alloc(5 * 1024 * 1024, ' '));
    expect(readShardResult(path.join(dir, 'fifo.json')).error).toMatch(/FIFO/);
    expect(readShardResult(path.join(dir, 'zero.json')).error).toMatch(/character device/);
    expect(readShardResult(path.join(dir, 'big.json')).error).toMatch(/larger than 4 MiB/);
  });

  it("publishes only to the spec's repositories and deletes only the temp tags this run derives", () => {
    const ok = planMerge(spec, [
      { file: 'a.json', result: good() },
      { file: 'b.json', result: arm() },
    ]);
    expect(ok.problems).toEqual([]);
    expect(ok.tempTags.map((t) => t.ref).sort()).toEqual(
      [tempTagFor('localhost:5000/acme/api', '42-1', 'api', ['linux/amd64']), tempTagFor('localhost:5000/acme/api', '42-1', 'api', ['linux/arm64'])].sort(),
    );

    const elsewhere = good();
    elsewhere.targets.api!.repository = 'localhost:5000/victim/api';
    elsewhere.targets.api!.tempTags = ['localhost:5000/victim/api:matrix-tmp-42-1-api-linux-amd64'];
    const p1 = planMerge(spec, [
      { file: 'a.json', result: elsewhere },
      { file: 'b.json', result: arm() },
    ]);
    expect(p1.problems.join('\n')).toMatch(/a\.json: api was pushed to localhost:5000\/victim\/api, which none of the target's tags in the spec names/);
    expect(p1.tempTags.map((t) => t.ref)).not.toContain('localhost:5000/victim/api:matrix-tmp-42-1-api-linux-amd64');

    const forged = good();
    forged.targets.api!.tempTags = ['localhost:5000/acme/api:v1.0.0'];
    const p2 = planMerge(spec, [
      { file: 'a.json', result: forged },
      { file: 'b.json', result: arm() },
    ]);
    expect(p2.problems.join('\n')).toMatch(/lists temporary tag localhost:5000\/acme\/api:v1\.0\.0 that this run did not create/);
    expect(p2.tempTags.map((t) => t.ref)).not.toContain('localhost:5000/acme/api:v1.0.0');
  });

  it('matrix merge with a forged shard publishes nothing and names the file (CLI)', async () => {
    const repo = tempRepo({
      'api/go.mod': 'module x\n',
      'matrix.yaml': ['version: 1', 'registry: localhost:5000/acme', 'platforms: [linux/amd64, linux/arm64]', 'services:', '  api:', '    context: api', '    template: go', ''].join('\n'),
    });
    const forged = good();
    forged.targets.api!.tempTags = ['localhost:5000/acme/api:latest'];
    writeFileSync(path.join(repo, 'a.json'), JSON.stringify(forged));
    writeFileSync(path.join(repo, 'b.json'), JSON.stringify(arm()));
    const docker = fakeDocker(tempDir());
    const r = await matrixAsync(['merge', 'a.json', 'b.json'], repo, { MATRIX_DOCKER: docker.bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('a.json: api lists temporary tag localhost:5000/acme/api:latest that this run did not create');
    expect(r.stdout).not.toMatch(/published|removed/);
  });

  it('in CI, refuses shards of another run', () => {
    const p = planMerge(
      spec,
      [
        { file: 'a.json', result: good() },
        { file: 'b.json', result: arm() },
      ],
      spec.targets,
      {},
      '43',
    );
    expect(p.problems).toContain('the shard files are of run 42-1, but this is run 43');
    expect(
      planMerge(
        spec,
        [
          { file: 'a.json', result: good() },
          { file: 'b.json', result: arm() },
        ],
        spec.targets,
        {},
        '42',
      ).problems,
    ).toEqual([]);
  });
});
