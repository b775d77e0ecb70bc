import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { acquireLock } from '../../src/output/lock.js';
import { applySync, everyTextAtHand, planSync, previousManifest, type Change, type SyncPlan } from '../../src/output/sync.js';
import { KEEP_TEXTS_UP_TO_TARGETS } from '../../src/render/files.js';
import { compileSpec, goDirs } from '../helpers/spec.js';
import { headerLines } from '../../src/render/header.js';
import { textDigest } from '../../src/output/digest.js';
import { outputState } from '../../src/output/existing.js';
import { withoutText } from '../helpers/output-state.js';
import { hashTree, removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const HEADER = headerLines('matrix.yaml').join('\n') + '\n';
const gen = (body: string) => `${HEADER}\n${body}`;
const bake = (...generated: string[]) => `${HEADER}${generated.map((g) => `# generated: ${g}\n`).join('')}\ngroup "default" {\n  targets = []\n}\n`;

describe('planSync', () => {
  it('sorts outputs into create, update and unchanged', () => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': gen('FROM old\n'), c: {} });
    const files = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['b/Dockerfile', gen('FROM new\n')],
      ['c/Dockerfile', gen('FROM c\n')],
      ['docker-bake.hcl', bake('a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.diagnostics).toEqual([]);
    expect(plan.unchanged).toEqual(['a/Dockerfile']);
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([
      ['update', 'b/Dockerfile'],
      ['create', 'c/Dockerfile'],
      ['create', 'docker-bake.hcl'],
    ]);
  });

  it('refuses to replace a hand-written file, a directory or a symlink', () => {
    const dir = tempRepo({ 'a/Dockerfile': 'FROM mine\n', 'b/Dockerfile': { x: 'y' }, 'c/real': gen('FROM c\n'), 'c/Dockerfile': { symlink: 'real' } });
    const files = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['b/Dockerfile', gen('FROM b\n')],
      ['c/Dockerfile', gen('FROM c\n')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['not-generated', 'a/Dockerfile'],
      ['output-not-a-file', 'b/Dockerfile'],
      ['output-not-a-file', 'c/Dockerfile'],
    ]);
  });

  it('replaces an empty file at an output path its bake file lists (what a write cut short by a power failure leaves)', async () => {
    const dir = tempRepo({ 'a/Dockerfile': '', 'docker-bake.hcl': bake('a/Dockerfile') });
    const files = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['docker-bake.hcl', bake('a/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.diagnostics).toEqual([]);
    expect(plan.changes.map((c) => [c.kind, c.file, c.before])).toEqual([['update', 'a/Dockerfile', '']]);
    await applySync(dir, plan);
    expect(readFileSync(path.join(dir, 'a/Dockerfile'), 'utf8')).toBe(gen('FROM a\n'));
    // A file with anything in it, even one blank line, is still someone's.
    writeFileSync(path.join(dir, 'a/Dockerfile'), '\n');
    expect(planSync(dir, dir, files, 'docker-bake.hcl').diagnostics.map((d) => d.code)).toEqual(['not-generated']);
    // An empty bake file is matrix's (its path is the spec's own choice).
    writeFileSync(path.join(dir, 'docker-bake.hcl'), '');
    writeFileSync(path.join(dir, 'a/Dockerfile'), gen('FROM a\n'));
    expect(planSync(dir, dir, files, 'docker-bake.hcl').diagnostics).toEqual([]);
  });

  // A hand-written empty file (`__init__.py`, a placeholder) at a generated_file path was taken
  // over, and deleted by a later gen once the spec no longer named it.
  it('refuses an empty file the bake file does not list: someone else owns it', () => {
    for (const bakeText of ['', bake('other/Dockerfile')]) {
      const dir = tempRepo({ 'pkg/__init__.py': '', 'docker-bake.hcl': bakeText });
      const files = new Map([
        ['pkg/__init__.py', gen('FROM a\n')],
        ['docker-bake.hcl', bake('pkg/__init__.py')],
      ]);
      const plan = planSync(dir, dir, files, 'docker-bake.hcl');
      expect(plan.diagnostics.map((d) => [d.code, d.file])).toEqual([['not-generated', 'pkg/__init__.py']]);
      expect(plan.diagnostics[0]!.hint).toMatch(/bake file lists it/);
    }
  });

  it('refuses an output whose directory leads out of the repository', () => {
    const outside = tempDir('matrix-outside-');
    const dir = tempRepo({ svc: { symlink: outside } });
    const plan = planSync(dir, dir, new Map([['svc/Dockerfile', gen('FROM x\n')]]), 'docker-bake.hcl');
    expect(plan.diagnostics.map((d) => d.code)).toEqual(['output-outside-repo']);
  });

  // A missing directory inside the repository (e.g. `bake_file: build/docker-bake.hcl`
  // before build/ exists) is not "outside the repository": that message sends the user
  // hunting for symbolic links that do not exist.
  it('does not call a missing directory inside the repository "outside the repository"', () => {
    const dir = tempRepo({});
    const plan = planSync(dir, dir, new Map([['build/docker-bake.hcl', bake()]]), 'build/docker-bake.hcl');
    expect(plan.diagnostics.map((d) => d.code)).not.toContain('output-outside-repo');
  });

  it('deletes only orphans that still carry the header', () => {
    const dir = tempRepo({
      'docker-bake.hcl': bake('a/Dockerfile', 'gone/Dockerfile', 'edited/Dockerfile', 'missing/Dockerfile'),
      'a/Dockerfile': gen('FROM a\n'),
      'gone/Dockerfile': gen('FROM gone\n'),
      'edited/Dockerfile': 'FROM edited\n',
    });
    const files = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['docker-bake.hcl', bake('a/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([
      ['update', 'docker-bake.hcl'],
      ['delete', 'gone/Dockerfile'],
    ]);
  });

  it('never deletes outside the repository, whatever the manifest says', () => {
    const outside = tempDir('matrix-outside-');
    writeFileSync(path.join(outside, 'Dockerfile'), gen('FROM precious\n'));
    const dir = tempRepo();
    writeFileSync(path.join(dir, 'docker-bake.hcl'), bake(path.relative(dir, path.join(outside, 'Dockerfile')), path.join(outside, 'Dockerfile')));
    const plan = planSync(dir, dir, new Map([['docker-bake.hcl', bake()]]), 'docker-bake.hcl');
    expect(plan.changes.filter((c) => c.kind === 'delete')).toEqual([]);
  });

  // A bake file's `# generated:` lines are text the repository brings along, so a removal is held to what
  // a write is (src/resolve/writable.ts): never the git directory, by name or through a link; through a link
  // to a directory inside the repository, as a write may. (A hostile header named .git/info/exclude2 and
  // docs/gl/description2, docs/gl a link to ../.git, and gen removed both.)
  it('never deletes in the git directory, whatever the manifest says, named or through a link', async () => {
    const dir = tempRepo({
      '.git/info/exclude2': gen('precious\n'),
      '.git/description2': gen('precious\n'),
      'real/Dockerfile': gen('FROM old\n'),
      'docker-bake.hcl': bake('.git/info/exclude2', 'docs/gl/description2', './.GIT/description2', 'alias/Dockerfile'),
    });
    mkdirSync(path.join(dir, 'docs'));
    symlinkSync('../.git', path.join(dir, 'docs', 'gl'));
    symlinkSync('real', path.join(dir, 'alias'));
    const before = hashTree(path.join(dir, '.git'));
    const plan = planSync(dir, dir, new Map([['docker-bake.hcl', bake()]]), 'docker-bake.hcl');
    // Only the file a link inside the repository reaches, as a write there would.
    expect(plan.changes.filter((c) => c.kind === 'delete').map((c) => c.file)).toEqual(['alias/Dockerfile']);
    await applySync(dir, plan);
    expect(hashTree(path.join(dir, '.git'))).toEqual(before);
    expect(existsSync(path.join(dir, 'real', 'Dockerfile'))).toBe(false);
  });

  // A temporary file renamed over the old one has the temporary file's mode: a `chmod 600` Dockerfile came
  // back 0644, a read-only one writable. An updated file keeps its permissions (never setuid and the like).
  it.each([0, 4])('an updated file keeps its permissions (atOnce %i)', async (atOnce) => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': gen('FROM b\n'), 'c/Dockerfile': gen('FROM c\n') });
    chmodSync(path.join(dir, 'a', 'Dockerfile'), 0o600);
    chmodSync(path.join(dir, 'b', 'Dockerfile'), 0o444);
    chmodSync(path.join(dir, 'c', 'Dockerfile'), 0o4755);
    const files = new Map([
      ['a/Dockerfile', gen('FROM a2\n')],
      ['b/Dockerfile', gen('FROM b2\n')],
      ['c/Dockerfile', gen('FROM c2\n')],
      ['d/Dockerfile', gen('FROM d\n')],
      ['docker-bake.hcl', bake('a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile', 'd/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.changes.map((c) => c.kind)).toEqual(['update', 'update', 'update', 'create', 'create']);
    await applySync(dir, plan, atOnce);
    const mode = (f: string) => statSync(path.join(dir, f)).mode & 0o7777;
    expect(readFileSync(path.join(dir, 'b', 'Dockerfile'), 'utf8')).toBe(gen('FROM b2\n'));
    expect([mode('a/Dockerfile'), mode('b/Dockerfile'), mode('c/Dockerfile')]).toEqual([0o600, 0o444, 0o755]);
    // A new file: 0644 less the umask, as before.
    const probe = path.join(tempDir(), 'probe');
    writeFileSync(probe, '', { mode: 0o644 });
    expect(mode('d/Dockerfile')).toBe(statSync(probe).mode & 0o7777);
  });

  it('reads no manifest from a bake file it did not write', () => {
    expect(previousManifest('# generated: a/Dockerfile\ntarget "x" {}\n')).toEqual([]);
    expect(previousManifest(bake('a/Dockerfile', 'b c/Dockerfile'))).toEqual(['a/Dockerfile', 'b c/Dockerfile']);
    expect(previousManifest(undefined)).toEqual([]);
  });
});

describe('applySync', () => {
  it('writes, updates and deletes, leaving no temporary files', async () => {
    const dir = tempRepo({ 'docker-bake.hcl': bake('old/Dockerfile'), 'old/Dockerfile': gen('FROM old\n'), 'b/Dockerfile': gen('FROM b0\n') });
    const files = new Map([
      ['b/Dockerfile', gen('FROM b1\n')],
      ['docker-bake.hcl', bake('b/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    await applySync(dir, plan);
    expect(readFileSync(path.join(dir, 'b/Dockerfile'), 'utf8')).toBe(gen('FROM b1\n'));
    expect(existsSync(path.join(dir, 'old/Dockerfile'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'b')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(again.changes).toEqual([]);
    const h = hashTree(dir);
    await applySync(dir, again);
    expect(hashTree(dir)).toBe(h);
  });
});

describe('acquireLock', () => {
  it('lets one holder in at a time and releases', () => {
    const dir = tempDir();
    const release = acquireLock(dir, 0, os.tmpdir());
    let err: unknown;
    try {
      acquireLock(dir, 100, os.tmpdir());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).diagnostics.map((d) => d.code)).toEqual(['locked']);
    release();
    acquireLock(dir, 0, os.tmpdir())();
  });

  // Where every run has the same pid (each container's first process is pid 1), a lock a killed run left
  // names a live process: this one, which has not taken it. It was "another matrix gen (pid 1) is writing".
  it("takes over a lock that names this process's own pid", () => {
    const dir = tempDir();
    const file = path.join(os.tmpdir(), `matrix-gen-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.lock`);
    writeFileSync(file, String(process.pid));
    const release = acquireLock(dir, 0, os.tmpdir());
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock whose owner is gone', () => {
    const dir = tempDir();
    const file = path.join(os.tmpdir(), `matrix-gen-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.lock`);
    writeFileSync(file, '2147483646');
    const release = acquireLock(dir, 0, os.tmpdir());
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(file)).toBe(false);
  });
});

describe('render -> compare -> write -> drop (issue 18)', () => {
  /** Files whose Dockerfiles cost a render: counted, with their digests known up front (as render/files.ts GeneratedFiles). */
  function costly(texts: Record<string, string>) {
    const reads: string[] = [];
    const files = new Map(Object.entries(texts)) as Map<string, string> & { digestOf(file: string): string | undefined };
    const get = files.get.bind(files);
    files.get = (f: string) => {
      reads.push(f);
      return get(f);
    };
    files.digestOf = (f: string) => textDigest(texts[f]!);
    return { files, reads };
  }

  it('an up-to-date Dockerfile is compared by digest, never rendered; a change renders it only when written', async () => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': gen('FROM old\n'), 'docker-bake.hcl': bake('a/Dockerfile', 'b/Dockerfile') });
    const texts = { 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': gen('FROM new\n'), 'c/Dockerfile': gen('FROM c\n'), 'docker-bake.hcl': bake('a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile') };
    const { files, reads } = costly(texts);
    const plan = planSync(dir, dir, files, 'docker-bake.hcl');
    expect(plan.unchanged).toEqual(['a/Dockerfile']);
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([
      ['update', 'b/Dockerfile'],
      ['create', 'c/Dockerfile'],
      ['update', 'docker-bake.hcl'],
    ]);
    // Nothing was rendered to compare.
    expect(reads).toEqual([]);
    reads.length = 0;
    await applySync(dir, plan);
    // Each changed file rendered once, when written; `a` never.
    expect(reads).toEqual(['b/Dockerfile', 'c/Dockerfile', 'docker-bake.hcl']);
    for (const [f, text] of Object.entries(texts)) expect(readFileSync(path.join(dir, f), 'utf8')).toBe(text);
  });

  it('a stale file shows what the disk holds (read again when shown) beside the new text', () => {
    const dir = tempRepo({ 'b/Dockerfile': gen('FROM old\n') });
    const { files } = costly({ 'b/Dockerfile': gen('FROM new\n'), 'docker-bake.hcl': bake('b/Dockerfile') });
    const [update] = planSync(dir, dir, files, 'docker-bake.hcl').changes;
    expect(update).toMatchObject({ kind: 'update', file: 'b/Dockerfile', before: gen('FROM old\n'), after: gen('FROM new\n') });
  });

  it('states kept as a digest (resolve drops the old text) compare the same as the text', () => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'b/Dockerfile': gen('FROM old\n') });
    const where = { specDir: dir, repoRoot: dir, realRoot: dir };
    const known = new Map(['a/Dockerfile', 'b/Dockerfile'].map((f) => [f, withoutText(outputState(where, f))]));
    expect(known.get('a/Dockerfile')).toEqual({ kind: 'file', ours: true, digest: textDigest(gen('FROM a\n')) });
    const plain = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['b/Dockerfile', gen('FROM new\n')],
      ['docker-bake.hcl', bake('a/Dockerfile', 'b/Dockerfile')],
    ]);
    const plan = planSync(dir, dir, plain, 'docker-bake.hcl', undefined, [], known);
    expect(plan.unchanged).toEqual(['a/Dockerfile']);
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([
      ['update', 'b/Dockerfile'],
      ['create', 'docker-bake.hcl'],
    ]);
  });
});

describe('the old bake file kept as a digest', () => {
  it('keeps its manifest, so orphans are found without reading it again', () => {
    const dir = tempRepo({ 'a/Dockerfile': gen('FROM a\n'), 'gone/Dockerfile': gen('FROM g\n'), 'docker-bake.hcl': bake('a/Dockerfile', 'gone/Dockerfile') });
    const where = { specDir: dir, repoRoot: dir, realRoot: dir };
    const state = withoutText(outputState(where, 'docker-bake.hcl'), true);
    expect(state).toMatchObject({ kind: 'file', ours: true, manifest: ['a/Dockerfile', 'gone/Dockerfile'] });
    expect(state.kind === 'file' && state.text).toBe(undefined);
    const files = new Map([
      ['a/Dockerfile', gen('FROM a\n')],
      ['docker-bake.hcl', bake('a/Dockerfile')],
    ]);
    // The file on disk no longer lists `gone`: the kept manifest is what counts (it was read once, by resolve).
    writeFileSync(path.join(dir, 'docker-bake.hcl'), bake('a/Dockerfile'));
    const plan = planSync(dir, dir, files, 'docker-bake.hcl', undefined, [], new Map([['docker-bake.hcl', state]]));
    expect(plan.changes.map((c) => [c.kind, c.file])).toEqual([
      ['update', 'docker-bake.hcl'],
      ['delete', 'gone/Dockerfile'],
    ]);
  });
});

// Where every new text is kept by the compile (render/files.ts keepsTexts), applySync writes on
// its own thread; where a text is rendered as it is written (a large spec), through the thread
// pool beside the render. The choice must follow what the compile kept, never guess.
describe('everyTextAtHand: which way applySync writes', () => {
  function planned(services: number, cells: number): SyncPlan {
    const names = Array.from({ length: services }, (_, i) => `s${i}`);
    const matrixLine = cells > 1 ? `, matrix: { v: [${Array.from({ length: cells }, (_, i) => `c${i}`).join(', ')}] }` : '';
    const src = `version: 1\nservices:\n${names.map((n) => `  ${n}: { context: ${n}, template: go${matrixLine} }\n`).join('')}`;
    const r = compileSpec(src, goDirs(...names));
    expect(r.diagnostics).toEqual([]);
    return planSync(r.dir, r.dir, r.files!, r.spec!.bakeFile);
  }

  it('a spec whose texts the compile kept: every one at hand', () => {
    const plan = planned(3, 2);
    expect(plan.changes.length).toBe(4);
    expect(everyTextAtHand(plan)).toBe(true);
  });

  it(`a spec of more than ${KEEP_TEXTS_UP_TO_TARGETS} targets, whose texts are rendered as they are written: not`, () => {
    const plan = planned(KEEP_TEXTS_UP_TO_TARGETS / 2 + 1, 2);
    expect(everyTextAtHand(plan)).toBe(false);
  }, 60_000);

  it('a plain text is at hand; a getter, which may render, is not', () => {
    const plain: Change = { kind: 'create', file: 'a', after: 'x' };
    const lazy: Change = {
      kind: 'create',
      file: 'b',
      get after() {
        return 'y';
      },
    };
    expect(everyTextAtHand({ changes: [plain, { kind: 'delete', file: 'c' }], unchanged: [], diagnostics: [] })).toBe(true);
    expect(everyTextAtHand({ changes: [plain, lazy], unchanged: [], diagnostics: [] })).toBe(false);
  });
});
