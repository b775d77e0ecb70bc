// bin/matrix-hook: the pre-commit/husky entry. After `gen`, `gen --check` and
// `gen` answer from the manifest beside the record (src/cache/manifest.ts)
// without starting Node; anything it cannot prove runs the full CLI, whose
// output is then the answer. Here: a hit starts no Node (a `node` first on
// PATH records every start), each reason to fall back falls back with exactly
// the full run's answer, and a hostile manifest never runs anything.
// Node's own start-up warning for NODE_EXTRA_CA_CERTS, only when the file
// cannot be read: nodejs/node test/parallel/test-tls-env-bad-extra-ca.js.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkLine, manifestText } from '../../src/cache/manifest.js';
import { writeScaleRepo } from '../../scripts/gen-scale-spec.mjs';
import { BIN } from '../helpers/cli.js';
import { copySample, hashTree, hashTreeButRecords, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const HOOK = path.join(REPO_ROOT, 'bin', 'matrix-hook');
/** Other shells that run it as /bin/sh somewhere (bash is /bin/sh on Fedora and RHEL), where installed. */
const SHELLS = [['bash'], ['bash', '--posix']].filter(([sh]) => spawnSync(sh!, ['-c', 'exit 0']).status === 0);

/** The test's environment without what makes the script fall back on purpose (NODE_OPTIONS and the like), colours off. */
function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (/^(NODE_|UV_|OPENSSL_|LD_|DYLD_|MATRIX_CACHE$|FORCE_COLOR$)/.test(k) && k !== 'NODE_EXTRA_CA_CERTS') delete env[k];
  return { ...env, ...extra };
}

interface Project {
  dir: string;
  manifest: string;
  /** A `node` first on PATH: it notes each start in `log`, then runs the real Node. */
  shimDir: string;
  log: string;
}

/** samples/monorepo after a `gen` of the built bin, with a manifest whose Node is the recording shim. */
function project(env: Record<string, string | undefined> = {}): Project {
  const dir = copySample('monorepo');
  const shimDir = tempDir('matrix-hook-shim-');
  const log = path.join(shimDir, 'starts.log');
  writeFileSync(path.join(shimDir, 'node'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${process.execPath}' "$@"\n`);
  chmodSync(path.join(shimDir, 'node'), 0o755);
  const r = spawnSync(process.execPath, [BIN, 'gen'], { cwd: dir, encoding: 'utf8', env: baseEnv(env) });
  expect(r.status, r.stderr).toBe(0);
  const names = readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-check-[0-9a-f]{16}\.hook$/.test(n));
  expect(names).toHaveLength(1);
  const manifest = path.join(dir, '.git', names[0]!);
  useNode(manifest, path.join(shimDir, 'node'));
  return { dir, manifest, shimDir, log };
}

/** Point the manifest's `node` line at `file` (device, inode, size, mtime, ctime, as GNU stat -L prints them). */
function useNode(manifest: string, file: string): void {
  const st = statSync(file, { bigint: true });
  const line = `node ${st.dev} ${st.ino} ${st.size} ${st.mtimeNs / 1_000_000_000n} ${st.ctimeNs / 1_000_000_000n} ${file}`;
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^node .*$/m, line));
}

interface Answer {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The hook as pre-commit runs it: the answer, and whether Node started. */
function hook(p: Project, args: string[], env: Record<string, string | undefined> = {}, cwd = p.dir, shell: string[] = []): Answer & { node: boolean } {
  rmSync(p.log, { force: true });
  const [file, ...pre] = shell.length ? [...shell, HOOK] : [HOOK];
  const r = spawnSync(file!, [...pre, ...args], { cwd, encoding: 'utf8', env: baseEnv({ PATH: `${p.shimDir}:${process.env.PATH}`, ...env }) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, node: existsSync(p.log) };
}

/** The full run of the built bin, without the cache (`noCache` false: exactly these arguments, for those gen does not take). */
function full(p: Project, args: string[], env: Record<string, string | undefined> = {}, cwd = p.dir, noCache = true): Answer {
  const r = spawnSync(process.execPath, [BIN, ...args, ...(noCache ? ['--no-cache'] : [])], { cwd, encoding: 'utf8', env: baseEnv(env) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const answer = (r: Answer & { node?: boolean }): Answer => ({ status: r.status, stdout: r.stdout, stderr: r.stderr });

/** The hook falls back (Node starts) and answers exactly as the full run (`noCache` false: as the bin given the same arguments). */
async function expectFallback(p: Project, args: string[], env: Record<string, string | undefined> = {}, cwd = p.dir, noCache = true): Promise<void> {
  await new Promise(setImmediate); // long runs of spawnSync: let the test runner's messages through
  const before = hashTreeButRecords(p.dir);
  const h = hook(p, args, env, cwd);
  expect(h.node, `${args.join(' ')}: Node should have run`).toBe(true);
  expect(answer(h), args.join(' ')).toEqual(full(p, args, env, cwd, noCache));
  // A check writes no generated file (an up-to-date one keeps its record).
  if (args.includes('--check')) expect(hashTreeButRecords(p.dir)).toBe(before);
}

describe('bin/matrix-hook answers an up-to-date gen and gen --check without Node', () => {
  let p: Project;
  beforeEach(() => {
    p = project();
  });

  it('gen --check, gen, gen -q, gen --check --quiet: the cached words, exit 0, no Node started, nothing written', () => {
    const before = hashTree(p.dir);
    for (const args of [['gen', '--check'], ['gen'], ['gen', '-q'], ['gen', '--check', '--quiet'], ['gen', '--quiet', '--check']]) {
      for (const shell of [[], ...SHELLS]) {
        const h = hook(p, args, {}, p.dir, shell);
        expect(h.node, `${shell.join(' ')} ${args.join(' ')}`).toBe(false);
        expect(answer(h), `${shell.join(' ')} ${args.join(' ')}`).toEqual(full(p, args));
      }
    }
    expect(full(p, ['gen', '--check']).stdout).toBe('Up to date: 7 files.\n');
    expect(hashTree(p.dir)).toBe(before);
  });

  it("through pre-commit's `node` of a `language: node` environment (nodeenv --node=system: a bash script that execs the system's node)", async () => {
    // pre-commit/pre-commit pre_commit/languages/node.py installs the environment with nodeenv; with the
    // system's Node, nodeenv writes bin/node as this script (ekalinin/nodeenv nodeenv.py, the `--node=system` shim).
    // pre-commit puts the environment's bin/ first on PATH and exports NODE_VIRTUAL_ENV (pre_commit/languages/node.py get_env_patch).
    const envDir = tempDir('matrix-hook-nodeenv-');
    mkdirSync(path.join(envDir, 'bin'));
    const shim = (extra = '') =>
      writeFileSync(
        path.join(envDir, 'bin', 'node'),
        `#!/usr/bin/env bash\nexport NODE_PATH=${envDir}/lib/node_modules\nexport NPM_CONFIG_PREFIX=${envDir}\nexport npm_config_prefix=${envDir}\n${extra}exec ${path.join(p.shimDir, 'node')} "$@"\n`,
        { mode: 0o755 },
      );
    shim();
    const PATH = `${envDir}/bin:${process.env.PATH}`;
    // pre-commit also exports NODE_PATH to the hook itself: a hit loads no package, so it changes nothing.
    const preCommitEnv = { PATH, NODE_VIRTUAL_ENV: envDir, NODE_PATH: `${envDir}/lib/node_modules` };
    expect(hook(p, ['gen', '--check'], preCommitEnv)).toMatchObject({ node: false, status: 0, stdout: 'Up to date: 7 files.\n', stderr: '' });
    // The same script where pre-commit does not put it (no NODE_VIRTUAL_ENV naming its directory): not read; Node answers.
    await expectFallback(p, ['gen', '--check'], { PATH });
    await expectFallback(p, ['gen', '--check'], { PATH, NODE_VIRTUAL_ENV: `${envDir}/` });
    shim('export NODE_OPTIONS=--trace-warnings\n');
    await expectFallback(p, ['gen', '--check'], { ...preCommitEnv });
  });

  it("through a link to it, as npm installs a package's bin (node_modules/.bin, a prefix's bin/): no process but awk, sha256sum and stat", () => {
    // npm links each `bin` of package.json into node_modules/.bin or the prefix's bin/ (docs.npmjs.com,
    // package.json "bin"); pre-commit's `language: node` environment is such a prefix. The script once found
    // its package through that link with readlink, and its user id and its private directory's mode with
    // id and ls: three more processes, each a few milliseconds of CPU, on every commit.
    const links = tempDir('matrix-hook-link-');
    symlinkSync(HOOK, path.join(links, 'matrix-hook'));
    const tools = `${p.log}.tools`;
    for (const tool of ['id', 'ls', 'readlink', 'realpath', 'awk', 'sha256sum', 'stat', 'cat', 'head']) {
      const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (real.startsWith('/')) writeFileSync(path.join(p.shimDir, tool), `#!/bin/sh\necho ${tool} >> '${tools}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    }
    for (const shell of [[], ...SHELLS]) {
      rmSync(tools, { force: true });
      rmSync(p.log, { force: true });
      const [file, ...pre] = [...shell, path.join(links, 'matrix-hook')];
      const r = spawnSync(file!, [...pre, 'gen', '--check'], { cwd: p.dir, encoding: 'utf8', env: baseEnv({ PATH: `${p.shimDir}:${process.env.PATH}` }) });
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr, node: existsSync(p.log) }, shell.join(' ')).toEqual({ status: 0, stdout: 'Up to date: 7 files.\n', stderr: '', node: false });
      expect(readFileSync(tools, 'utf8').trim().split('\n').sort(), shell.join(' ')).toEqual(['awk', 'sha256sum', 'stat']);
    }
  });

  it("a copy of the script beside the package's files is not the package the manifest names: Node answers", async () => {
    // The manifest's root is the package it was written for; the script must be that package's own
    // bin/matrix-hook (the same file through any links), not another file that looks like it.
    const other = tempDir('matrix-hook-copy-');
    mkdirSync(path.join(other, 'bin'));
    writeFileSync(path.join(other, 'bin', 'matrix-hook'), readFileSync(HOOK), { mode: 0o755 });
    symlinkSync(path.join(REPO_ROOT, 'bin', 'matrix.cjs'), path.join(other, 'bin', 'matrix.cjs'));
    rmSync(p.log, { force: true });
    const r = spawnSync(path.join(other, 'bin', 'matrix-hook'), ['gen', '--check'], { cwd: p.dir, encoding: 'utf8', env: baseEnv({ PATH: `${p.shimDir}:${process.env.PATH}` }) });
    expect(existsSync(p.log)).toBe(true);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual(full(p, ['gen', '--check']));
  });

  it("this user's private directory open to the group or others, or with the setgid or sticky bit: Node answers", async () => {
    // store.ts makes it 0700 and uses it only so (a directory others may write can hold a seal or a record
    // they made); the script checks the same bits with the one stat it makes for the other checks.
    const own = { TMPDIR: tempDir() };
    p = project(own);
    const pdir = path.join(own.TMPDIR, `bake-matrix-${process.getuid!()}`);
    expect(statSync(pdir).mode & 0o7777).toBe(0o700);
    expect(hook(p, ['gen', '--check'], own).node).toBe(false);
    const good = readFileSync(p.manifest, 'utf8');
    for (const mode of [0o750, 0o740, 0o705, 0o702, 0o2700, 0o1700]) {
      chmodSync(pdir, mode);
      await expectFallback(p, ['gen', '--check'], own);
      writeFileSync(p.manifest, good);
    }
    // The setuid bit on a directory means nothing to Linux, and `ls -l` shows d??s------: as before, a hit.
    for (const mode of [0o4700, 0o700]) {
      chmodSync(pdir, mode);
      expect(hook(p, ['gen', '--check'], own), mode.toString(8)).toMatchObject({ node: false, status: 0, stdout: 'Up to date: 7 files.\n' });
    }
  });

  it("finds this spec's manifest among those of other specs in the same git directory, read before or after it", () => {
    const good = readFileSync(p.manifest, 'utf8');
    const other = good.replace(/^specpath .*$/m, `specpath ${path.join(p.dir, 'other', 'matrix.yaml')}`);
    expect(other).not.toBe(good);
    for (const name of ['matrix-check-0000000000000000.hook', 'matrix-check-ffffffffffffffff.hook']) {
      const file = path.join(path.dirname(p.manifest), name);
      writeFileSync(file, other);
      expect(hook(p, ['gen', '--check']), name).toMatchObject({ node: false, status: 0, stdout: 'Up to date: 7 files.\n', stderr: '' });
      rmSync(file);
    }
  });

  it('answers for a spec of 300 services (a manifest of about 2,000 lines) as the full run does, without Node', async () => {
    // A large manifest: the script reads it in one piece and checks its digests in one list (bin/matrix-hook
    // _mh_find_manifest); it once read it a byte per system call and copied the list once per line.
    const dir = tempDir('matrix-hook-scale-');
    writeScaleRepo(300, dir);
    spawnSync('git', ['init', '-q', dir]);
    const r = spawnSync(process.execPath, [BIN, 'gen'], { cwd: dir, encoding: 'utf8', env: baseEnv() });
    expect(r.status, r.stderr).toBe(0);
    const names = readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-check-[0-9a-f]{16}\.hook$/.test(n));
    expect(names).toHaveLength(1);
    const manifest = path.join(dir, '.git', names[0]!);
    expect(readFileSync(manifest, 'utf8').split('\n').length).toBeGreaterThan(2000);
    useNode(manifest, path.join(p.shimDir, 'node'));
    const big: Project = { dir, manifest, shimDir: p.shimDir, log: p.log };
    const want = full(big, ['gen', '--check']);
    expect(want.stdout).toBe('Up to date: 301 files.\n');
    // And where /bin/sh is bash (Fedora, RHEL): a function call there copies the positional parameters.
    for (const shell of [[], ...SHELLS]) {
      const h = hook(big, ['gen', '--check'], {}, dir, shell);
      expect(h.node, shell.join(' ')).toBe(false);
      expect(answer(h), shell.join(' ')).toEqual(want);
    }
    appendFileSync(path.join(dir, 'services', 'svc-00299', 'Dockerfile'), '# x\n');
    await expectFallback(big, ['gen', '--check']);
  });

  it('is shellcheck-clean (POSIX sh)', () => {
    const r = spawnSync('shellcheck', ['--shell=sh', HOOK], { encoding: 'utf8' });
    if (r.error && process.env.CI !== 'true') return; // shellcheck not installed here
    expect(r.status, r.stdout).toBe(0);
  });
});

/** Replace the first manifest line starting with `prefix`. */
function editLine(p: Project, prefix: string, line: string): void {
  const lines = readFileSync(p.manifest, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith(prefix));
  expect(i, `a manifest line starting with ${prefix}`).toBeGreaterThan(0);
  lines[i] = line;
  writeFileSync(p.manifest, lines.join('\n'));
}

/** Add `line` just before `end`. */
function addLine(p: Project, line: string): void {
  writeFileSync(p.manifest, readFileSync(p.manifest, 'utf8').replace(/\nend\n$/, `\n${line}\nend\n`));
}

describe('bin/matrix-hook falls back to the full CLI whenever it cannot prove the answer', () => {
  // The cases that change only the arguments or the manifest share one project (a `gen` of the sample
  // each was most of their time), each starting from its good manifest: one test per case, so that
  // each fallback (the hook, then the full run to compare with) has a test's time of its own.
  describe('other arguments, or a manifest it cannot use', () => {
    let p: Project;
    let good: string;
    beforeAll(() => {
      p = project();
      good = readFileSync(p.manifest, 'utf8');
    });
    beforeEach(() => {
      rmSync(p.manifest, { force: true });
      writeFileSync(p.manifest, good);
    });

    it.each(
      [
        ['gen', '--check', '--spec=matrix.yaml'],
        ['gen', '--check', '--check'],
        ['gen', '--spec'],
        ['gen', '--check', 'extra'],
        ['validate'],
        ['gen', '--no-cache'],
        ['gen', '--check', '--', 'x'],
        [],
      ].map((args) => ({ args })),
    )('other arguments: the CLI parses $args (and its usage errors are its own)', async ({ args }) => {
      await expectFallback(p, args, {}, p.dir, false);
    });

    it('--spec given while the record was made without it (another header), or from another working directory', async () => {
      await expectFallback(p, ['gen', '--check', '--spec', 'matrix.yaml']);
      await expectFallback(p, ['gen', '--check', '--spec', '../matrix.yaml'], {}, path.join(p.dir, 'services'));
    });

    it.each<[string, (good: string) => string]>([
      ['truncated: no `end`', (g) => g.replace(/end\n$/, '')],
      ['another format', (g) => g.replace(/^matrix-hook-manifest 1/, 'matrix-hook-manifest 2')],
      ['a line after `end`', (g) => `${g}reg 00 /etc/passwd\n`],
      ['a second `up`', (g) => g.replace(/\nup 7\n/, '\nup 7\nup 8\n')],
      ['`up` not a number', (g) => g.replace(/\nup 7\n/, '\nup seven\n')],
      ['a line it does not know (`list`)', (g) => g.replace(/\nend\n$/, '\nlist /tmp\nend\n')],
      ['no `nospec` line', (g) => g.replace(/\nnospec\n/, '\n')],
      ["the spec's read left out", (g) => g.replace(/\n(reg [0-9a-f]{64} \S*matrix\.yaml)\n/, '\n')],
      ['a digest changed', (g) => g.replace(/\nreg ([0-9a-f])/, (_m, c: string) => `\nreg ${c === '0' ? '1' : '0'}`)],
      ['empty', () => ''],
      ['garbage', () => 'garbage\n'],
      // The script splits the manifest on newlines: an empty line, a second `end` or CRLF line ends must
      // still fail as a line it does not know would.
      ['an empty line', (g) => g.replace(/\nup 7\n/, '\nup 7\n\n')],
      ['`end` before the last line', (g) => g.replace(/\nup 7\n/, '\nup 7\nend\n')],
      ['two `end` lines', (g) => g.replace(/\nend\n$/, '\nend\nend\n')],
      ['CRLF line ends', (g) => g.replace(/\n/g, '\r\n')],
      ['the format and `end` alone', () => 'matrix-hook-manifest 1\nend\n'],
      ['the format line alone', () => 'matrix-hook-manifest 1\n'],
    ])('a manifest %s', async (_name, make) => {
      writeFileSync(p.manifest, make(good));
      await expectFallback(p, ['gen', '--check']);
    });

    it('a manifest made in another working directory, none, or a link to a good one', async () => {
      editLine(p, 'cwd ', `cwd ${path.join(p.dir, 'services')}`);
      await expectFallback(p, ['gen', '--check']);
      rmSync(p.manifest);
      await expectFallback(p, ['gen', '--check']);
      // A link to a good manifest: not read (the record's rule, store.ts readRecord).
      const elsewhere = path.join(tempDir(), 'elsewhere');
      writeFileSync(elsewhere, good);
      rmSync(p.manifest, { force: true });
      symlinkSync(elsewhere, p.manifest);
      await expectFallback(p, ['gen', '--check']);
    });

    // Each of these lines holds as a file check (the path exists, or is absent, as it says), so only the
    // check of its fields (bin/matrix-hook's awk: manifest.ts SAFE_PATH, numbers, digests) refuses it.
    const odd = (dir: string, specDigest: string): string[] => {
      const spec = path.join(dir, 'matrix.yaml');
      return [
        `exists ${dir}/`,
        `exists ${dir}//matrix.yaml`,
        `exists ${dir}/./matrix.yaml`,
        `exists ${dir}/services/../matrix.yaml`,
        `exists ${dir}/services/..`,
        `real ${dir}/.`,
        'noexist relative/path',
        `noexist ${dir}/nothing `,
        `nosize ${dir}/services/`,
        `is dir f ${dir}/services/`,
        `is dir x ${dir}`,
        `is folder f ${dir}`,
        `reg ${specDigest.toUpperCase()} ${spec}`,
        `reg ${specDigest.slice(1)} ${spec}`,
        `reg ${specDigest}  ${spec}`,
        `size 0x10 ${spec}`,
        `size -1 ${spec}`,
        `exists ${dir}/é`,
        `exists ${dir}/a\tb`,
      ];
    };
    const specDigestOf = (manifest: string) => manifest.match(/^reg ([0-9a-f]{64}) .*matrix\.yaml$/m)![1]!;

    it.each(Array.from({ length: odd('/d', 'x').length }, (_v, i) => i))('a field that is not what manifest.ts writes, even where the file check alone would hold (line %i)', (i) => {
      const line = odd(p.dir, specDigestOf(good))[i]!;
      addLine(p, line);
      const h = hook(p, ['gen', '--check']);
      expect(h.node, line).toBe(true);
      expect(answer(h), line).toEqual(full(p, ['gen', '--check']));
    });

    // A count the hook would print: never more than 16 digits, never anything but digits.
    it.each(['up 12345678901234567', 'up 7x', 'up 7 ', 'up '])('a count that is not what manifest.ts writes: %j', (line) => {
      editLine(p, 'up ', line);
      const h = hook(p, ['gen', '--check']);
      expect(h.node, line).toBe(true);
      expect(answer(h), line).toEqual(full(p, ['gen', '--check']));
    });

    it('the good manifest without those lines is a hit: they are refused for their fields only', () => {
      expect(hook(p, ['gen', '--check']).node).toBe(false);
    });

    const hostile = (pwned: string): string[] => [
      `reg ${'0'.repeat(64)} /tmp/x;touch ${pwned}`,
      `regnf ${'0'.repeat(64)} $(touch ${pwned})`,
      `absent /tmp/\`touch ${pwned}\``,
      `exists /tmp/'$(touch ${pwned})'`,
      `is file f /tmp/"; touch ${pwned}; "`,
      `set $(touch ${pwned}) x`,
      `unset X;touch ${pwned}`,
      `real /tmp/a\\nb`,
      `size 1 /tmp/$(touch ${pwned})`,
      `home $(touch ${pwned})`,
      `$(touch ${pwned})`,
      // A path with a newline splits into two lines, neither of which is a check the script knows.
      `reg ${'0'.repeat(64)} /tmp/a\n$(touch ${pwned})`,
    ];

    it.each(Array.from({ length: hostile('/x').length }, (_v, i) => i))(
      'a hostile manifest never runs anything: paths and values with ; $(...) ` quotes, names that are not identifiers (line %i)',
      async (i) => {
        const pwned = path.join(p.dir, 'PWNED');
        const line = hostile(pwned)[i]!;
        addLine(p, line);
        await expectFallback(p, ['gen', '--check']);
        expect(existsSync(pwned), line).toBe(false);
      },
    );
  });

  describe('a changed machine, environment or tree', () => {
    let p: Project;
    beforeEach(() => {
      p = project();
    });

    // Every record reads this user's seal (src/cache/store.ts sealPath); its manifest carries that read as a
    // `regnf` line the script checks with the rest. A manifest without it, with another digest for it (another
    // user's seal: a record that came with an archive), or read under another temp dir, proves nothing.
    it("a manifest that does not read this user's seal, or read another's", async () => {
      // A temp dir of its own: the seal is changed below, which would turn every other test's records into misses.
      const own = { TMPDIR: tempDir() };
      p = project(own);
      const good = readFileSync(p.manifest, 'utf8');
      // The hook answers from it as it is (the case is not vacuous).
      expect(hook(p, ['gen', '--check'], own).node).toBe(false);
      const sealLine = /\nregnf ([0-9a-f]{64}) (\S*\/bake-matrix-\d+\/record-seal)\n/.exec(good);
      expect(sealLine, 'the manifest reads the seal').not.toBeNull();
      for (const text of [
        good.replace(sealLine![0], '\n'),
        good.replace(
          sealLine![1]!,
          sealLine![1]!.replace(/^./, (c) => (c === '0' ? '1' : '0')),
        ),
      ]) {
        writeFileSync(p.manifest, text);
        await expectFallback(p, ['gen', '--check'], own);
      }
      writeFileSync(p.manifest, good);
      // Another temp dir: another private directory, whose seal (if any) is not the one read.
      await expectFallback(p, ['gen', '--check'], { TMPDIR: tempDir() });
      // The seal made anew (the temp dir was cleared since): its digest differs.
      expect(sealLine![2]!.startsWith(own.TMPDIR)).toBe(true);
      writeFileSync(sealLine![2]!, 'another\n');
      await expectFallback(p, ['gen', '--check'], own);
    });

    it.each<[string, (dir: string) => void]>([
      ['service file', (dir) => appendFileSync(path.join(dir, 'services/api/go.mod'), '// x\n')],
      ['generated file', (dir) => appendFileSync(path.join(dir, 'services/web/Dockerfile'), '# x\n')],
      ['bake file deleted', (dir) => rmSync(path.join(dir, 'docker-bake.hcl'))],
      ['absent file appears', (dir) => writeFileSync(path.join(dir, 'services/reports/pyproject.toml'), '[project]\nname = "r"\n')],
      ['new dir where a file was probed', (dir) => mkdirSync(path.join(dir, 'services/reports/Procfile'))],
      [
        'generated file as a link',
        (dir) => {
          const f = path.join(dir, 'services/web/Dockerfile');
          writeFileSync(path.join(dir, 'copy'), readFileSync(f));
          rmSync(f);
          symlinkSync(path.join(dir, 'copy'), f);
        },
      ],
      ['spec', (dir) => appendFileSync(path.join(dir, 'matrix.yaml'), '# x\n')],
    ])('a changed input, a generated file edited, deleted or made a link, a new file where one was absent: %s', async (name, change) => {
      change(p.dir);
      expect(hook(p, ['gen', '--check']).node, name).toBe(true);
      await expectFallback(p, ['gen', '--check']);
    });

    it('a recorded environment variable set, unset or changed; NODE_OPTIONS, MATRIX_CACHE, an unreadable NODE_EXTRA_CA_CERTS', async () => {
      addLine(p, 'set MATRIX_HOOK_T value with spaces $(x)');
      addLine(p, 'unset MATRIX_HOOK_U');
      expect(hook(p, ['gen', '--check'], { MATRIX_HOOK_T: 'value with spaces $(x)' }).node).toBe(false);
      await expectFallback(p, ['gen', '--check'], { MATRIX_HOOK_T: 'value with spaces' });
      await expectFallback(p, ['gen', '--check'], {});
      await expectFallback(p, ['gen', '--check'], { MATRIX_HOOK_T: 'value with spaces $(x)', MATRIX_HOOK_U: '' });
      const t = { MATRIX_HOOK_T: 'value with spaces $(x)' };
      await expectFallback(p, ['gen', '--check'], { ...t, NODE_OPTIONS: '--no-warnings' });
      await expectFallback(p, ['gen', '--check'], { ...t, MATRIX_CACHE: '1' });
      await expectFallback(p, ['gen', '--check'], { ...t, NODE_EXTRA_CA_CERTS: path.join(p.dir, 'no-such-file') });
      // HOME is no input of gen --check since a secret's `~` is refused instead of read as HOME
      // (src/validate/secrets.ts): the record holds no `home` line, and the hook answers by itself.
      expect(readFileSync(p.manifest, 'utf8')).not.toMatch(/^home /m);
      expect(hook(p, ['gen', '--check'], { ...t, HOME: '/somewhere/else' }).node).toBe(false);
    });

    it('another node on PATH, or the same one changed', async () => {
      const other = path.join(tempDir('matrix-hook-other-'), 'node');
      writeFileSync(other, `#!/bin/sh\necho "$*" >> '${p.log}'\nexec '${process.execPath}' "$@"\n`);
      chmodSync(other, 0o755);
      await expectFallback(p, ['gen', '--check'], { PATH: `${path.dirname(other)}:${p.shimDir}:${process.env.PATH}` });
      appendFileSync(path.join(p.shimDir, 'node'), '# changed\n');
      await expectFallback(p, ['gen', '--check']);
    });
  });
});

describe('the manifest is written only where every check is exact (src/cache/manifest.ts)', () => {
  const file = (p: string) => ['read', p, '{}'];
  it('each kind of read has its line; a fault other than ENOENT, an error, a link on the way, readdir order, access(2) have none', () => {
    expect(checkLine(file('/a/b'), Buffer.alloc(32, 1).toString('base64'))).toBe(`reg ${'01'.repeat(32)} /a/b`);
    expect(checkLine(['read', '/a/b', '{"followSymlinks":false}'], Buffer.alloc(32, 2).toString('base64'))).toBe(`regnf ${'02'.repeat(32)} /a/b`);
    expect(checkLine(file('/a/b'), 'fault:missing:ENOENT:file-missing:cannot read b: no such file or directory (ENOENT)')).toBe('absent /a/b');
    expect(checkLine(['kind', '/a', false], 'symlink')).toBe('is symlink n /a');
    expect(checkLine(['kind', '/a', true], 'err:ENOENT')).toBe('absent /a');
    expect(checkLine(['exists', '/a'], 'false')).toBe('noexist /a');
    expect(checkLine(['realpath', '/a/b'], '/a/b')).toBe('real /a/b');
    expect(checkLine(['size', '/a'], '12')).toBe('size 12 /a');
    expect(checkLine(['size', '/a'], 'undefined')).toBe('nosize /a');
    const none: [unknown[], string][] = [
      [file('/a'), 'fault:io:EACCES:file-error:cannot read a: permission denied (EACCES)'],
      [file('/a'), 'fault:not-a-file::not-a-regular-file:cannot read a: it is a directory, not a regular file'],
      [['kind', '/a', true], 'err:EACCES'],
      [['kind', '/a', true], 'symlink'],
      [['realpath', '/tmp/link'], '/private/tmp/link'],
      [['realpath', '/a'], 'err:ENOENT'],
      [['list', '/a'], '["x","y"]'],
      [['writable', '/a'], 'true'],
      [['unknown', '/a'], 'x'],
    ];
    for (const [call, answer] of none) expect(() => checkLine(call, answer), JSON.stringify(call)).toThrow();
  });

  it('paths the shell cannot carry: relative, not normalized, a newline, a backslash, quotes, $, ;, a trailing space or slash', () => {
    for (const p of ['a/b', '/a/../b', '/a/./b', '/a//b', '/a\nb', '/a\\b', "/a'b", '/a"b', '/a$(x)', '/a;b', '/a`b`', '/a ', '/a/', '/a\tb', '/\u00e9']) {
      expect(() => checkLine(['exists', p], 'true'), JSON.stringify(p)).toThrow();
    }
    expect(checkLine(['exists', '/a b/c-d_e.f+g@h%i,j:k=l~m'], 'true')).toBe('exists /a b/c-d_e.f+g@h%i,j:k=l~m');
  });

  it('the whole environment read, a name that is no identifier, a value with a control or non-ASCII character: no manifest', () => {
    const header = {
      format: 1,
      identity: `${path.join(REPO_ROOT, 'dist', 'x.cjs')}\n${Buffer.alloc(32).toString('base64')}\n${Buffer.alloc(32).toString('base64')}`,
      node: process.version,
      platform: process.platform,
      cwd: '/w',
      spec: null,
      specPath: '/w/matrix.yaml',
    };
    const base = {
      header,
      upToDate: 0,
      outputs: [],
      observations: new Map([[JSON.stringify(file('/w/matrix.yaml')), Buffer.alloc(32).toString('base64')]]),
      root: REPO_ROOT,
      digest: () => Buffer.alloc(32).toString('base64'),
    };
    expect(
      manifestText({
        ...base,
        env: [
          ['HOME_X', 'v'],
          ['Y', null],
        ],
      }),
    ).toMatch(/\nset HOME_X v\nunset Y\n/);
    for (const env of [[['*', '[]']], [['A-B', 'v']], [['A', 'x\ny']], [['A', 'caf\u00e9']]] as [string, string | null][][])
      expect(manifestText({ ...base, env }), JSON.stringify(env)).toBeUndefined();
    // A record that does not read its spec is no record (record.ts verifiedRecord): no manifest either.
    expect(manifestText({ ...base, env: [], observations: new Map() })).toBeUndefined();
  });
});
