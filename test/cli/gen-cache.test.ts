// gen --check answers from the record of the last up-to-date gen (src/cache/)
// on samples/monorepo, and exactly as a full run whenever anything changed or
// the record cannot be trusted. --no-cache and MATRIX_CACHE=0 turn it off.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastCacheOutcome } from '../../src/cache/answer.js';
import { replayAnswer } from '../../src/fs/recorder.js';
import { BIN, matrix, matrixBin, runEnv } from '../helpers/cli.js';
import { copySample, hashTree, hashTreeButRecords, recordsIn, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const records = (dir: string) => readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-check-[0-9a-f]{16}\.json$/.test(n));

/**
 * gen --check with the cache, and without: the answers must be equal; returns
 * the cached one and whether it was a hit. Neither writes anything but the
 * record, and that only when the files are up to date.
 */
async function bothChecks(dir: string, env: Record<string, string> = {}) {
  const before = hashTreeButRecords(dir);
  const recordsBefore = recordsIn(dir);
  const cached = await matrix(['gen', '--check'], dir, env);
  const outcome = lastCacheOutcome();
  const full = await matrix(['gen', '--check', '--no-cache'], dir, env);
  expect(cached).toEqual(full);
  expect(hashTreeButRecords(dir)).toBe(before);
  if (cached.status !== 0) expect(recordsIn(dir)).toEqual(recordsBefore);
  return { ...cached, outcome };
}

// A record in the git directory can come with a repository's archive (a tarball of a checkout, .git and
// all). One made by someone else, each read re-answered for the files as they are now (replayAnswer, what
// matrix itself would compute), held every read, and `validate` said "valid" and `gen --check` "Up to date"
// of a spec they refuse. Every record reads this user's seal (src/cache/store.ts sealPath), which no one
// else can read: such a record is a miss, and the answer is the full run's.
describe("a record made under another user's seal", () => {
  it('is never used: validate and gen --check answer as a full run', async () => {
    const dir = copySample('monorepo');
    const theirs = { TMPDIR: tempDir() };
    expect((await matrix(['gen'], dir, theirs)).status).toBe(0);
    writeFileSync(path.join(dir, 'matrix.yaml'), `${readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')}unknown_key: 1\n`);
    const forge = () => {
      for (const name of readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-.*\.json$/.test(n))) {
        const file = path.join(dir, '.git', name);
        const r = JSON.parse(readFileSync(file, 'utf8')) as { reads: [unknown[], string][] };
        r.reads = r.reads.map(([call]) => [call, replayAnswer(call)!]);
        writeFileSync(file, JSON.stringify(r));
      }
    };
    forge();
    // Under the seal it was made with, the forgery holds (what the seal is for): the case is not vacuous.
    const fooled = await matrix(['validate'], dir, theirs);
    expect(fooled.status, fooled.stderr).toBe(0);
    expect(lastCacheOutcome()).toBe('hit');
    // Under this user's own seal: the full run, and its error.
    const ours = { TMPDIR: tempDir() };
    const v = await matrix(['validate'], dir, ours);
    expect(v.status).toBe(2);
    expect(v.stderr).toContain('unknown_key');
    expect(v).toEqual(await matrix(['validate', '--no-cache'], dir, ours));
    const c = await matrix(['gen', '--check'], dir, ours);
    expect(c.status).toBe(2);
    expect(c).toEqual(await matrix(['gen', '--check', '--no-cache'], dir, ours));
  });
});

describe('gen --check on samples/monorepo with the cache', () => {
  it('gen saves a record in .git; gen --check then answers from it, as a full run does', async () => {
    const dir = copySample('monorepo');
    const gen = await matrix(['gen'], dir);
    expect(gen.status).toBe(0);
    expect(records(dir)).toHaveLength(1);
    const check = await bothChecks(dir);
    expect(check.outcome).toBe('hit');
    expect(check.status).toBe(0);
    expect(check.stdout).toMatch(/^Up to date: \d+ files\.\n$/);
    // gen answers from it too, and writes nothing.
    const before = hashTree(dir);
    expect((await matrix(['gen'], dir)).stdout).toBe(check.stdout);
    expect(lastCacheOutcome()).toBe('hit');
    expect(hashTree(dir)).toBe(before);
  });

  it('in a clone where no gen ran, an up-to-date gen --check keeps the record and the next answers from it; a check that finds drift keeps none', async () => {
    // What a clone has: the generated files committed, no record.
    const dir = copySample('monorepo');
    expect(records(dir)).toEqual([]);
    const bake = path.join(dir, 'docker-bake.hcl');
    const text = readFileSync(bake, 'utf8');
    writeFileSync(bake, `${text}\n`);
    const drift = await bothChecks(dir);
    expect(drift.status).toBe(1);
    expect(records(dir)).toEqual([]);
    writeFileSync(bake, text);
    const before = hashTreeButRecords(dir);
    const first = await matrix(['gen', '--check'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    expect(first.status).toBe(0);
    expect(records(dir)).toHaveLength(1);
    expect(hashTreeButRecords(dir)).toBe(before);
    const second = await bothChecks(dir);
    expect(second.outcome).toBe('hit');
    expect(second).toMatchObject({ status: first.status, stdout: first.stdout, stderr: first.stderr });
    // gen answers from it as well.
    expect((await matrix(['gen'], dir)).stdout).toBe(first.stdout);
    expect(lastCacheOutcome()).toBe('hit');
  });

  it('a gen --check that cannot write its record (a directory in its place) answers as before', async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const [name] = records(dir);
    const file = path.join(dir, '.git', name!);
    rmSync(file);
    mkdirSync(file);
    const r = await bothChecks(dir);
    expect(r.outcome).toBe('miss');
    expect(r.status).toBe(0);
    expect(readdirSync(file)).toEqual([]);
  });

  it("a record's temp file left by a killed gen is removed by the next gen that saves a record", async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    const [record] = records(dir);
    // pid 999999999 cannot be alive (pids are at most 2^22 on Linux).
    const stale = path.join(dir, '.git', `.${record}.999999999.tmp`);
    writeFileSync(stale, '{"half":');
    rmSync(path.join(dir, '.git', record!));
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(records(dir)).toEqual([record]);
    expect(existsSync(stale)).toBe(false);
  });

  it('an edited generated file, or a matrix.yml once matrix.yaml is gone: a miss with the full answer (a matrix.yml beside matrix.yaml changes nothing)', async () => {
    const dir = copySample('monorepo');
    await matrix(['gen'], dir);
    const bake = path.join(dir, 'docker-bake.hcl');
    writeFileSync(bake, `${readFileSync(bake, 'utf8')}\n`);
    const drift = await bothChecks(dir);
    expect(drift.outcome).toBe('miss');
    expect(drift.status).toBe(1);
    await matrix(['gen'], dir);
    expect((await bothChecks(dir)).outcome).toBe('hit');
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(path.join(dir, 'matrix.yml'), readFileSync(spec, 'utf8').replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]'));
    expect((await bothChecks(dir)).outcome).toBe('hit'); // matrix.yaml still wins
    rmSync(spec);
    const other = await bothChecks(dir);
    expect(other.outcome).toBe('miss');
    expect(other.status).toBe(1);
  });

  it('--no-cache and MATRIX_CACHE=0 (or false, off, no) do not consult the record', async () => {
    const dir = copySample('monorepo');
    await matrix(['gen'], dir);
    await bothChecks(dir, { MATRIX_CACHE: '0' });
    expect((await bothChecks(dir, { MATRIX_CACHE: '0' })).outcome).toBe('off');
    for (const v of ['false', 'OFF', 'no']) expect((await bothChecks(dir, { MATRIX_CACHE: v })).outcome).toBe('off');
    await matrix(['gen', '--check', '--no-cache'], dir);
    expect(lastCacheOutcome()).toBe('off');
    expect((await bothChecks(dir, { MATRIX_CACHE: '1' })).outcome).toBe('hit');
  });

  it('a record that is garbage, a symbolic link or a FIFO is a miss, not a crash or a hang', async () => {
    const dir = copySample('monorepo');
    await matrix(['gen'], dir);
    const file = path.join(dir, '.git', records(dir)[0]!);
    const good = readFileSync(file);
    for (const bad of ['', '{', '\0\0\0', good.toString('utf8').replace(/"upToDate":\d+/, '"upToDate":99999')]) {
      writeFileSync(file, bad);
      const r = await bothChecks(dir);
      expect(r.outcome).toBe('miss');
      expect(r.status).toBe(0);
    }
    rmSync(file);
    writeFileSync(path.join(dir, 'elsewhere.json'), good);
    symlinkSync(path.join(dir, 'elsewhere.json'), file);
    expect((await bothChecks(dir)).outcome).toBe('miss');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    expect((await bothChecks(dir)).outcome).toBe('miss');
  });

  it('outside a repository the record lives in a private directory under TMPDIR, used only while it stays private', async () => {
    const dir = copySample('monorepo');
    rmSync(path.join(dir, '.git'), { recursive: true });
    mkdirSync(path.join(dir, '.git-not')); // not a repository any more
    const tmp = tempDir();
    const env = { TMPDIR: tmp };
    await matrix(['gen'], dir, env);
    const own = path.join(tmp, `bake-matrix-${process.getuid!()}`);
    expect(existsSync(own)).toBe(true);
    expect((await bothChecks(dir, env)).outcome).toBe('hit');
    chmodSync(own, 0o777);
    expect((await bothChecks(dir, env)).outcome).toBe('miss');
  });

  it('validate answers from the same record, as it does without: the counts of the compile that found everything up to date', async () => {
    const dir = copySample('monorepo');
    const cold = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    await matrix(['gen'], dir);
    const warm = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('hit');
    expect(warm).toEqual(cold);
    expect(warm.stdout).toMatch(/^matrix\.yaml is valid: \d+ services, \d+ targets\.\n$/);
    expect(await matrix(['validate', '--no-cache'], dir)).toEqual(cold);
    expect(lastCacheOutcome()).toBe('off');
    // A broken spec: the record no longer holds, and validate reports the error.
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, `${readFileSync(spec, 'utf8')}bogus: 1\n`);
    const broken = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    expect(broken.status).toBe(2);
    expect(broken).toEqual(await matrix(['validate', '--no-cache'], dir));
  });

  it('a validate that compiled keeps a record of its own (no file counted); the next answers from it; one that failed or warned keeps none', async () => {
    const dir = copySample('monorepo');
    const validateRecords = () => readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-validate-[0-9a-f]{16}\.json$/.test(n));
    const before = hashTreeButRecords(dir);
    const cold = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    expect(cold.status).toBe(0);
    expect(validateRecords()).toHaveLength(1);
    expect(records(dir)).toEqual([]); // validate compares no generated file: no record of gen's
    const saved = JSON.parse(readFileSync(path.join(dir, '.git', validateRecords()[0]!), 'utf8')) as { upToDate: number; outputs: string[] };
    expect(saved).toMatchObject({ upToDate: 0, outputs: [] });
    const warm = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('hit');
    expect(warm).toEqual(cold);
    expect(hashTreeButRecords(dir)).toBe(before);
    // gen --check does not answer from it: it says nothing of the generated files.
    const check = await matrix(['gen', '--check'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    expect(check).toEqual(await matrix(['gen', '--check', '--no-cache'], dir));
    // A broken spec: a miss, the error, and the record as it was.
    const spec = path.join(dir, 'matrix.yaml');
    const text = readFileSync(spec, 'utf8');
    const kept = readFileSync(path.join(dir, '.git', validateRecords()[0]!), 'utf8');
    writeFileSync(spec, `${text}bogus: 1\n`);
    const broken = await matrix(['validate'], dir);
    expect(lastCacheOutcome()).toBe('miss');
    expect(broken.status).toBe(2);
    expect(broken).toEqual(await matrix(['validate', '--no-cache'], dir));
    expect(readFileSync(path.join(dir, '.git', validateRecords()[0]!), 'utf8')).toBe(kept);
    // A warning (printed, never replayed): valid, and no record that would answer without it.
    const warned = text.replace(
      /^services:\n/m,
      'services:\n  extra:\n    context: services/web\n    dockerfile: services/web/Dockerfile\n    matrix:\n      v: [a]\n      include: [{v: a, typo: 1}]\n',
    );
    expect(warned).not.toBe(text);
    writeFileSync(spec, warned);
    for (const r of validateRecords()) rmSync(path.join(dir, '.git', r));
    const first = await matrix(['validate'], dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/unused-matrix-key|is not an axis/);
    expect(validateRecords()).toEqual([]);
    expect(await matrix(['validate'], dir)).toEqual(first);
    expect(lastCacheOutcome()).toBe('miss');
  });

  it('--help lists --no-cache and MATRIX_CACHE', async () => {
    const help = await matrix(['gen', '--help'], tempDir());
    expect(help.stdout).toMatch(/--cache/);
    expect(help.stdout).toMatch(/MATRIX_CACHE=0/);
  });
});

const straceOk = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!straceOk && process.env.CI !== 'true')('the built bin answers from the record without loading the compiler', () => {
  it('gen, then gen --check and validate open no chunk of the full run; after an edit they do', () => {
    expect(straceOk, 'strace is missing: apt-get install -y strace').toBe(true);
    const dir = copySample('monorepo');
    expect(matrixBin(['gen'], dir).status).toBe(0);
    /** Which source modules each chunk holds, and which chunks each pack (scripts/build.mjs). */
    const built = JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist', 'build.json'), 'utf8')) as { chunks: Record<string, string[]>; packs: Record<string, string[]> };
    /** The chunks (NAME.cjs) a run of the bin opens: each of a pack it opens counts as opened, run or not. */
    const opened = (args: string[]) => {
      const log = path.join(tempDir(), 'strace.log');
      const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat', process.execPath, BIN, ...args], { cwd: dir, encoding: 'utf8', env: runEnv() });
      expect(r.status, r.stderr).toBe(0);
      return [...readFileSync(log, 'utf8').matchAll(/dist\/([\w-]+\.cjs)"/g)].flatMap((m) => built.packs[m[1]!] ?? [m[1]!]);
    };
    /** The chunks a run opens, by name without their hash. */
    const chunks = (args: string[]) => opened(args).map((f) => f.replace(/(-[A-Z0-9]{8})?\.cjs$/, ''));
    const hit = chunks(['gen', '--check']);
    expect(hit).toContain('gen'); // the names are read right
    expect(hit).not.toContain('gen-run');
    expect(hit).not.toContain('io');
    expect(chunks(['validate'])).not.toContain('io');
    // Nor any chunk holding the parser, the templates or the validator, through a module the answer shares with the compiler.
    for (const args of [['gen', '--check'], ['validate']]) {
      const modules = opened(args).flatMap((file) => built.chunks[file] ?? []);
      expect(modules.length, args.join(' ')).toBeGreaterThan(0);
      expect(
        modules.filter((m) => /node_modules\/(yaml|handlebars|ajv)\/|^src\/(render|resolve|load|validate)\//.test(m)),
        args.join(' '),
      ).toEqual([]);
    }
    writeFileSync(path.join(dir, 'README.md'), 'changed\n'); // not read by the compile: still a hit
    expect(chunks(['gen', '--check'])).not.toContain('gen-run');
    const spec = path.join(dir, 'matrix.yaml');
    writeFileSync(spec, `${readFileSync(spec, 'utf8')}# edited\n`);
    expect(chunks(['gen', '--check'])).toContain('gen-run');
  });
});
