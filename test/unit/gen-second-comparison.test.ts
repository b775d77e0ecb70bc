// A writing `gen` compares with the disk twice: before it takes the lock and
// again under it (src/cli/gen-run.ts). The second keeps of the first compile
// only its files, its resolved spec and the digest of the spec's text: a
// refusal it finds is placed in the spec from the text read again, and a spec
// changed in between is compiled again. Each case holds the lock from here,
// changes the disk while `gen` waits for it, and compares with a plain run.
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/output/lock.js';
import { matrixAsync } from '../security/run.js';
import { hashTree, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = 'version: 1\nservices:\n  api:\n    template: go\n    context: api\n  web:\n    template: go\n    context: web\n';
const tree = () => ({ 'api/go.mod': 'module example.com/api\n', 'web/go.mod': 'module example.com/web\n', 'matrix.yaml': SPEC });

/** Run `gen` while this process holds its lock; `meanwhile` changes the disk once `gen` waits for the lock (its pid file beside the lock is there). */
async function genWhileLocked(repo: string, meanwhile: () => void) {
  const gitDir = path.join(repo, '.git');
  const release = acquireLock(realpathSync(repo), 0, gitDir);
  let released = false;
  try {
    const run = matrixAsync(['gen'], repo);
    const waiting = () => readdirSync(gitDir).some((f) => /^matrix-gen-.*\.lock\.\d+$/.test(f) && !f.endsWith(`.${process.pid}`));
    for (const end = Date.now() + 20_000; !waiting(); ) {
      if (Date.now() > end) throw new Error('gen never waited for the lock');
      await new Promise((r) => setTimeout(r, 10));
    }
    meanwhile();
    release();
    released = true;
    return await run;
  } finally {
    if (!released) release();
  }
}

describe('the comparison under the lock', () => {
  it('a Dockerfile replaced by a directory meanwhile is refused at its place in the spec, as a plain run refuses it', async () => {
    const repo = tempRepo(tree());
    const r = await genWhileLocked(repo, () => mkdirSync(path.join(repo, 'web', 'Dockerfile')));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('[output-not-a-file]');
    expect(r.stderr).toMatch(/matrix\.yaml:\d+:\d+/);
    const before = hashTree(repo);
    const plain = await matrixAsync(['gen'], repo);
    expect(plain.status).toBe(2);
    // The plain run finds it while resolving, the raced one while comparing: the same words, at the same place.
    const said = (s: string) => s.split('\n').filter((l) => l.includes('[output-not-a-file]'));
    expect(said(r.stderr)).toEqual(said(plain.stderr));
    expect(said(r.stderr)).toHaveLength(1);
    expect(hashTree(repo)).toBe(before);
  }, 60_000);

  it('a spec changed meanwhile is compiled again: the files written are the new spec’s', async () => {
    const repo = tempRepo(tree());
    const r = await genWhileLocked(repo, () => writeFileSync(path.join(repo, 'matrix.yaml'), SPEC.replace(/ {2}web:\n(.*\n){2}/, '')));
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(path.join(repo, 'web'))).toEqual(['go.mod']);
    expect(readFileSync(path.join(repo, 'docker-bake.hcl'), 'utf8')).not.toContain('web');
    const check = await matrixAsync(['gen', '--check'], repo);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 60_000);

  it('a spec unchanged meanwhile: the files written are what a plain run writes', async () => {
    const repo = tempRepo(tree());
    const other = tempRepo(tree());
    const r = await genWhileLocked(repo, () => rmSync(path.join(repo, 'api', 'go.mod.missing'), { force: true }));
    expect(r.status, r.stderr).toBe(0);
    expect((await matrixAsync(['gen', '-q'], other)).status).toBe(0);
    for (const f of ['api/Dockerfile', 'web/Dockerfile', 'docker-bake.hcl']) expect(readFileSync(path.join(repo, f), 'utf8'), f).toBe(readFileSync(path.join(other, f), 'utf8'));
  }, 60_000);
});
