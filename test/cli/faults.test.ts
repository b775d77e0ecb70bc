// Machine faults are the user's to fix, never "a bug in matrix": a read-only
// file system, a full disk, dangling symlinks and loops, a directory where a
// file should be, and write errors on stdout. Real ones: a read-only bind
// mount and a full tmpfs (needs root, which mounting needs; chmod means
// nothing to root), real FIFOs and symlinks, real pipes closed by the reader.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFault, faultOf } from '../../src/cli/faults.js';
import { BIN, matrix } from '../helpers/cli.js';
import { copySample, hashTree, removeTempDirs, tempDir } from '../helpers/tree.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  removeTempDirs();
});

const root = process.getuid?.() === 0;

function mount(args: string[], dir: string): void {
  execFileSync('mount', [...args, dir]);
  mounts.push(dir);
}

/** `src` seen read-only at a new path (a read-only bind mount). */
function readOnlyCopy(src: string): string {
  const dir = tempDir();
  mount(['--bind', src], dir);
  execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
  return dir;
}

/** A tmpfs of `kb` KiB holding `src`, then filled to the last byte. */
function fullCopy(src: string, kb = 256): string {
  const dir = tempDir();
  mount(['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs'], dir);
  cpSync(src, dir, { recursive: true });
  spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, '.fill')}`, 'bs=4k'], { encoding: 'utf8' });
  return dir;
}

/** One line, naming the cause and the code, and no trace. */
function expectOneLineFault(stderr: string, pattern: RegExp): void {
  expect(stderr).toMatch(pattern);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|bug in matrix|\n\s+at /);
}

describe('faultOf', () => {
  it('describes an operating-system error with its path, and the file a temporary file stands for', () => {
    const err = Object.assign(new Error("ENOSPC: no space left on device, open '/r/services/api/.Dockerfile.123.tmp'"), {
      code: 'ENOSPC',
      syscall: 'open',
      path: '/r/services/api/.Dockerfile.123.tmp',
    });
    expect(describeFault(faultOf(err, '/r')!)).toBe('cannot write services/api/Dockerfile: no space left on device (ENOSPC)');
    const ro = Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'rename', path: '/r/a', dest: '/r/b' });
    expect(describeFault(faultOf(ro, '/r')!)).toBe('cannot rename a to b: read-only file system (EROFS)');
    expect(faultOf(new Error('boom'), '/')).toBeUndefined();
    expect(faultOf(Object.assign(new Error('x'), { code: 'ERR_SOMETHING' }), '/')).toBeUndefined();
    // Control characters in a path are shown escaped, not sent to the terminal.
    const esc = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open', path: '/r/a\u001b[31m' });
    expect(describeFault(faultOf(esc, '/r')!)).toBe('cannot open a\\u001b[31m: permission denied (EACCES)');
    // Out of file descriptors: what to do, on a line of its own.
    const fds = Object.assign(new Error('EMFILE'), { code: 'EMFILE', syscall: 'open', path: '/r/matrix.yaml' });
    expect(describeFault(faultOf(fds, '/r')!)).toBe('cannot open matrix.yaml: too many open files (EMFILE)\n  hint: matrix may open no more files: raise the limit (`ulimit -n`) and run it again');
  });

  it('names a dangling symlink on the path', () => {
    const dir = tempDir();
    symlinkSync('gone', path.join(dir, 'link'));
    const err = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: path.join(dir, 'link', 'Dockerfile') });
    expect(describeFault(faultOf(err, dir)!)).toBe('cannot open link/Dockerfile: link is a dangling symlink to gone (ENOENT)');
  });
});

describe('the spec cannot be read', () => {
  // A directory, FIFO or device in the spec's place is the input's fault, not the machine's:
  // exit 2 with the path, in test/security/files.test.ts.
  it.each([
    ['a dangling symlink', (d: string) => symlinkSync('gone.yaml', path.join(d, 'spec.yaml')), 'matrix: cannot read spec.yaml: it is a dangling symlink to gone.yaml (ENOENT)'],
    [
      'a symlink loop',
      (d: string) => (symlinkSync('b.yaml', path.join(d, 'spec.yaml')), symlinkSync('spec.yaml', path.join(d, 'b.yaml'))),
      'matrix: cannot read spec.yaml: too many levels of symbolic links (ELOOP)',
    ],
    ['a path through a file', (d: string) => writeFileSync(path.join(d, 'f'), ''), 'matrix: cannot read f/matrix.yaml: a component of the path is not a directory (ENOTDIR)', 'f/matrix.yaml'],
  ] as [string, (d: string) => void, string, string?][])('%s: one line with the path and the cause, exit 74', async (_what, make, line, spec = 'spec.yaml') => {
    const dir = tempDir();
    make(dir);
    for (const cmd of ['gen', 'validate', 'plan', 'bake']) {
      const r = await matrix([cmd, '--spec', spec], dir);
      expect(r.status, cmd).toBe(74);
      expectOneLineFault(r.stderr, new RegExp(`^${line.replace(/[.()]/g, '\\$&')}\n$`));
    }
  });

  // The README's exit-code table: a symlink loop or a file in the way of a directory, anywhere, is 74 with the path and the cause.
  it.each([
    ['context', 'a symlink loop', 'context: loopa', 'matrix: cannot read loopa: too many levels of symbolic links (ELOOP)'],
    ['dockerfile', 'a path through a file', 'context: app, dockerfile: app/Dockerfile/x', 'matrix: cannot read app/Dockerfile/x: a component of the path is not a directory (ENOTDIR)'],
  ])('a spec %s that is %s: that fault, exit 74, not "does not exist"', async (_key, _what, fields, line) => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\n');
    symlinkSync('loopb', path.join(dir, 'loopa'));
    symlinkSync('loopa', path.join(dir, 'loopb'));
    writeFileSync(path.join(dir, 'matrix.yaml'), `version: 1\nservices:\n  app: { ${fields.includes('dockerfile') ? fields : `${fields}, dockerfile: app/Dockerfile`} }\n`);
    for (const cmd of ['gen', 'validate', 'plan']) {
      const r = await matrix([cmd], dir);
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(74);
      expectOneLineFault(r.stderr, new RegExp(`^${line.replace(/[.()]/g, '\\$&')}\n$`));
    }
    expect(existsSync(path.join(dir, 'docker-bake.hcl'))).toBe(false);
  });

  it('a dangling matrix.yaml found by default is that fault, not "no matrix.yaml"', async () => {
    const dir = tempDir();
    symlinkSync('elsewhere/matrix.yaml', path.join(dir, 'matrix.yaml'));
    const r = await matrix(['gen', '--check'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot read matrix\.yaml: it is a dangling symlink to elsewhere\/matrix\.yaml \(ENOENT\)\n$/);
  });

  it('a spec that does not exist stays a usage error (exit 2)', async () => {
    const r = await matrix(['validate', '--spec', 'nope.yaml'], tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('spec file nope.yaml does not exist [spec-not-found]');
  });
});

describe.skipIf(!root)('a read-only file system (read-only bind mount)', () => {
  it('gen: one line with the file and EROFS, exit 74, nothing changed', async () => {
    const src = copySample('hello-go');
    rmSync(path.join(src, 'docker-bake.hcl'));
    const before = hashTree(src);
    const dir = readOnlyCopy(src);
    const r = await matrix(['gen'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot write docker-bake\.hcl: read-only file system \(EROFS\)\n$/);
    expect(hashTree(src)).toBe(before);
  });

  it('init: cannot write matrix.yaml, exit 74', async () => {
    const src = tempDir();
    writeFileSync(path.join(src, 'Dockerfile'), 'FROM alpine:3.20\n');
    const dir = readOnlyCopy(src);
    const r = await matrix(['init'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot write matrix\.yaml: read-only file system \(EROFS\)\n$/);
  });

  it('a check that writes nothing still works', async () => {
    const dir = readOnlyCopy(copySample('hello-go'));
    const r = await matrix(['gen', '--check'], dir);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('files bake will write are checked before the build', () => {
  it.each([
    ['a missing directory', (_d: string) => 'no/such/dir/m.json', /^matrix: cannot write no\/such\/dir\/m\.json: no such file or directory \(ENOENT\)\n$/],
    ['a directory', (d: string) => (mkdirSync(path.join(d, 'out')), 'out'), /^matrix: cannot write out: is a directory \(EISDIR\)\n$/],
    ['a dangling symlink', (d: string) => (symlinkSync('gone/m.json', path.join(d, 'm.json')), 'm.json'), /^matrix: cannot write m\.json: it is a dangling symlink to gone\/m\.json \(ENOENT\)\n$/],
  ] as [string, (d: string) => string, RegExp][])('--metadata-file through %s: one line, exit 74, docker never runs', async (_what, make, line) => {
    const dir = copySample('monorepo');
    const file = make(dir);
    const r = await matrix(['bake', '--dry-run', 'api', '--metadata-file', file], dir, { MATRIX_DOCKER: '/nonexistent/docker' });
    expect(r.status).toBe(74);
    expect(r.stdout).toBe('');
    expectOneLineFault(r.stderr, line);
  });

  it.skipIf(!root)('--metadata-file on a read-only file system', async () => {
    const dir = readOnlyCopy(copySample('monorepo'));
    const r = await matrix(['bake', '--dry-run', 'api', '--metadata-file', 'm.json'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot write m\.json: read-only file system \(EROFS\)\n$/);
  });

  it("a relative --metadata-file is where the user stands, not in the spec's directory", async () => {
    const dir = copySample('monorepo');
    const parent = path.dirname(dir);
    const r = await matrix(['bake', '--dry-run', 'api', '--spec', path.join(path.basename(dir), 'matrix.yaml'), '--metadata-file', 'm.json'], parent);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(` --metadata-file ${path.join(parent, 'm.json')} `);
  });
});

describe.skipIf(!root)('no space left on device (a full tmpfs)', () => {
  it('gen: one line with ENOSPC, exit 74, the old file in place', async () => {
    const src = copySample('hello-go');
    writeFileSync(path.join(src, 'matrix.yaml'), readFileSync(path.join(src, 'matrix.yaml'), 'utf8').replace(':multiarch', ':changed'));
    const dir = fullCopy(src);
    const old = readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8');
    const r = await matrix(['gen'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot write( [^:]+)?: no space left on device \(ENOSPC\)\n$/);
    expect(readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8')).toBe(old);
  });

  it('gen: the directories it made for its files go again, with its temporary files', async () => {
    const src = copySample('hello-go');
    const spec = readFileSync(path.join(src, 'matrix.yaml'), 'utf8');
    writeFileSync(path.join(src, 'matrix.yaml'), spec.replace('services:', 'defaults:\n  generated_dir: .matrix/deep/er\nservices:'));
    const dir = fullCopy(src);
    // One page free: room for the directories, none for the files.
    const fill = path.join(dir, '.fill');
    truncateSync(fill, statSync(fill).size - 4096);
    const r = await matrix(['gen'], dir);
    expect(r.status).toBe(74);
    expectOneLineFault(r.stderr, /no space left on device \(ENOSPC\)\n$/);
    expect(existsSync(path.join(dir, '.matrix'))).toBe(false);
  });

  it.each([['plan'], ['gen', '--check'], ['schema'], ['ci-matrix']])('stdout to a full disk (%s > /full/file): one line, exit 74, never a drift report', (...argv) => {
    const dir = fullCopy(copySample('hello-go'));
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" "$@" > ${path.join(dir, 'out')}`, 'sh', ...argv], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    // gen --check with no drift prints "Up to date" to stdout; it cannot, and says so.
    expect(r.status, r.stderr).toBe(74);
    expectOneLineFault(r.stderr, /^matrix: cannot write to standard output: no space left on device \(ENOSPC\)\n$/);
  });
});

describe('stdout closed by its reader (EPIPE)', () => {
  /** Runs matrix with stdout a pipe that is closed before matrix writes. */
  function closedStdout(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('gen --check | head -1 still says drift (exit 1), quietly', async () => {
    const dir = copySample('monorepo');
    writeFileSync(path.join(dir, 'docker-bake.hcl'), readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8').replace('linux/arm64', 'linux/arm65'));
    const r = await closedStdout(['gen', '--check'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
  });

  it('gen --check with no drift exits 0; plan and schema exit 0, quietly', async () => {
    const dir = copySample('monorepo');
    for (const args of [['gen', '--check'], ['plan'], ['schema']]) {
      const r = await closedStdout(args, dir);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
    }
  });

  it('through a real shell pipe: `matrix plan | head -1`', () => {
    const dir = copySample('monorepo');
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" schema | head -c 1 >/dev/null`], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('stdout a non-blocking pipe whose reader is slow', () => {
  // matrix writes its descriptors with write(2) (src/cli/stdio.ts). A reader may have
  // set the pipe O_NONBLOCK (the flag belongs to the shared open file, see open(2)
  // and fcntl(2) F_SETFL): a full pipe then answers EAGAIN, and the rest must still
  // arrive, whole and in order, through Node's stream.
  const python = spawnSync('python3', ['-c', 'import fcntl'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python && process.env.CI !== 'true')(
    'plan --json of 300 services (more than a pipe holds) arrives whole',
    async () => {
      expect(python, 'python3 is missing').toBe(true);
      const dir = tempDir();
      execFileSync(process.execPath, [path.join(path.dirname(BIN), '..', 'scripts', 'gen-scale-spec.mjs'), '300', dir]);
      const expected = spawnSync(process.execPath, [BIN, 'plan', '--json', '--build-platform', 'linux/amd64'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(expected.status, expected.stderr).toBe(0);
      expect(expected.stdout.length).toBeGreaterThan(256 * 1024);
      const reader = [
        'import fcntl, os, subprocess, sys, time',
        'r, w = os.pipe()',
        'fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)',
        'p = subprocess.Popen(sys.argv[1:], stdout=w)',
        'os.close(w)',
        'time.sleep(0.5)',
        'out = bytearray()',
        'while True:',
        '    chunk = os.read(r, 4096)',
        '    if not chunk: break',
        '    out += chunk',
        '    time.sleep(0.0005)',
        'sys.stdout.buffer.write(out)',
        'sys.exit(p.wait())',
      ].join('\n');
      const r = spawnSync('python3', ['-c', reader, process.execPath, BIN, 'plan', '--json', '--build-platform', 'linux/amd64'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(expected.stdout);
    },
    120_000,
  );
});
