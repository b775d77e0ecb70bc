import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { copySample, hashTree, hashTreeButRecords, listTree, removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** hello-go without its generated files. */
function freshHello(): string {
  const dir = copySample('hello-go');
  rmSync(path.join(dir, 'Dockerfile'));
  rmSync(path.join(dir, 'docker-bake.hcl'));
  return dir;
}

/** Every entry of the tree but those under .git. */
function treeOutsideGit(dir: string): [string, string][] {
  return [...listTree(dir)].filter(([k]) => k !== '.git/' && !k.startsWith('.git/'));
}

const TWO_SERVICES = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n  worker:\n    context: worker\n    template: go\n';
const twoServices = () => tempRepo({ 'matrix.yaml': TWO_SERVICES, 'api/go.mod': 'module api\n', 'worker/go.mod': 'module worker\n' });

describe('matrix gen', () => {
  it('gen writes the files, then gen --check passes', async () => {
    const dir = freshHello();
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stdout).toContain('created Dockerfile');
    expect(gen.stdout).toContain('created docker-bake.hcl');
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('the committed sample is already up to date', async () => {
    const dir = copySample('hello-go');
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('gen is byte-identical across runs and does not rewrite unchanged files', async () => {
    const a = freshHello();
    const b = freshHello();
    expect((await matrix(['gen'], a)).status).toBe(0);
    expect((await matrix(['gen'], b)).status).toBe(0);
    // Outside .git: there gen keeps the record of its up-to-date answer (src/cache/), which names its own directory.
    expect(treeOutsideGit(a)).toEqual(treeOutsideGit(b));

    const outputs = ['Dockerfile', 'docker-bake.hcl'].map((f) => path.join(a, f));
    const past = new Date('2001-02-03T04:05:06Z');
    for (const f of outputs) utimesSync(f, past, past);
    const before = hashTree(a);
    const again = await matrix(['gen'], a);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/Up to date: 2 files/);
    expect(hashTree(a)).toBe(before);
    for (const f of outputs) expect(statSync(f).mtime.getTime(), f).toBe(past.getTime());
  });

  it('one changed byte makes gen --check exit 1 with a unified diff naming the file, and writes nothing', async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, readFileSync(file, 'utf8').replace('CMD ["/hello"]', 'CMD ["/hellO"]'));
    const before = hashTree(dir);
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('Dockerfile: stale');
    expect(check.stdout).toContain('--- a/Dockerfile\n+++ b/Dockerfile\n@@ ');
    expect(check.stdout).toContain('\n-CMD ["/hellO"]\n+CMD ["/hello"]');
    expect(check.stdout).not.toContain('docker-bake.hcl: ');
    expect(hashTree(dir)).toBe(before);

    expect((await matrix(['gen'], dir)).stdout).toContain('updated Dockerfile');
    expect((await matrix(['gen', '--check'], dir)).status).toBe(0);
  });

  it('a deleted generated file is reported missing, and gen recreates it', async () => {
    const dir = copySample('hello-go');
    rmSync(path.join(dir, 'Dockerfile'));
    const before = hashTree(dir);
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('Dockerfile: missing');
    expect(check.stdout).toContain('--- /dev/null\n+++ b/Dockerfile\n');
    expect(hashTree(dir)).toBe(before);
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(readFileSync(path.join(copySample('hello-go'), 'Dockerfile'), 'utf8'));
  });

  it('--check creates no files', async () => {
    const dir = freshHello();
    const before = listTree(dir);
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('Dockerfile: missing');
    expect(check.stdout).toContain('docker-bake.hcl: missing');
    expect(listTree(dir)).toEqual(before);
  });

  it("a removed service's Dockerfile is reported orphaned, and gen deletes it", async () => {
    const dir = twoServices();
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(existsSync(path.join(dir, 'worker/Dockerfile'))).toBe(true);

    writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n');
    const before = hashTree(dir);
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/^worker\/Dockerfile: orphaned/m);
    expect(check.stdout).toContain('--- a/worker/Dockerfile\n+++ /dev/null\n');
    expect(check.stdout).toMatch(/^docker-bake\.hcl: stale/m);
    expect(hashTree(dir)).toBe(before);

    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stdout).toContain('removed worker/Dockerfile');
    expect(existsSync(path.join(dir, 'worker/Dockerfile'))).toBe(false);
    expect(existsSync(path.join(dir, 'worker/go.mod'))).toBe(true);
    expect(existsSync(path.join(dir, 'api/Dockerfile'))).toBe(true);
    expect((await matrix(['gen', '--check'], dir)).status).toBe(0);
  });

  it('an orphan whose header was edited away is left alone', async () => {
    const dir = twoServices();
    expect((await matrix(['gen'], dir)).status).toBe(0);
    writeFileSync(path.join(dir, 'worker/Dockerfile'), 'FROM scratch\n# mine now\n');
    writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n');
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(readFileSync(path.join(dir, 'worker/Dockerfile'), 'utf8')).toBe('FROM scratch\n# mine now\n');
  });

  it('never overwrites a hand-written file at an output path (exit 2, not-generated)', async () => {
    const dir = tempRepo({ 'matrix.yaml': TWO_SERVICES, 'api/go.mod': '', 'worker/go.mod': '', 'worker/Dockerfile': 'FROM scratch\nCOPY . /\n' });
    const before = hashTree(dir);
    for (const args of [['gen'], ['gen', '--check']]) {
      const r = await matrix(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('[not-generated]');
      expect(r.stderr).toContain('worker/Dockerfile');
      expect(hashTree(dir)).toBe(before);
    }
  });

  it('never overwrites a hand-written bake file', async () => {
    const dir = tempRepo({ 'matrix.yaml': TWO_SERVICES, 'api/go.mod': '', 'worker/go.mod': '', 'docker-bake.hcl': 'target "x" {}\n' });
    const before = hashTree(dir);
    const r = await matrix(['gen'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[not-generated]');
    expect(hashTree(dir)).toBe(before);
  });

  it('an invalid spec exits 2 with file:line:column and changes nothing', async () => {
    const dir = copySample('hello-go');
    const spec = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8').replace('    with:\n', '    platfroms: [linux/amd64]\n    with:\n');
    writeFileSync(path.join(dir, 'matrix.yaml'), spec);
    const line = spec.split('\n').findIndex((l) => l.includes('platfroms')) + 1;
    const before = hashTree(dir);
    for (const args of [['gen'], ['gen', '--check'], ['validate'], ['plan']]) {
      const r = await matrix(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`matrix.yaml:${line}:5: error`);
      expect(r.stderr).toContain('[unknown-key]');
      expect(r.stderr).toContain('hint: did you mean `platforms`?');
      expect(r.stdout).toBe('');
      expect(hashTree(dir)).toBe(before);
    }
  });

  it('names the spec relative to the working directory with --spec', async () => {
    const dir = tempRepo({ 'deploy/matrix.yaml': 'version: 1\nservices:\n  api:\n    context: .\n    template: nope\n' });
    const r = await matrix(['validate', '--spec', 'deploy/matrix.yaml'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('deploy/matrix.yaml:5:15: error');
    expect(r.stderr).toContain('[unknown-template]');
  });

  it('prints the offending line with a caret', async () => {
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: ./nowhere\n    template: go\n' });
    const r = await matrix(['validate'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('matrix.yaml:4:14: error');
    expect(r.stderr).toContain('  4 |     context: ./nowhere\n    |              ^');
  });
});

describe('matrix gen: bake_file', () => {
  // build/ is inside the repository; it just does not exist yet.
  it('a bake_file in a directory that does not exist yet is created, or refused for what it is', async () => {
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nbake_file: build/docker-bake.hcl\nservices:\n  api:\n    context: api\n    template: go\n', 'api/go.mod': '' });
    const r = await matrix(['gen'], dir);
    expect(r.stderr).not.toContain('[output-outside-repo]');
    if (r.status === 0) expect(existsSync(path.join(dir, 'build/docker-bake.hcl'))).toBe(true);
    else expect(r.status).toBe(2);
  });

  it('a bake_file in an existing subdirectory names the spec relative to itself', async () => {
    const dir = tempRepo({ 'matrix.yaml': 'version: 1\nbake_file: build/docker-bake.hcl\nservices:\n  api:\n    context: api\n    template: go\n', 'api/go.mod': '', build: {} });
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(readFileSync(path.join(dir, 'build/docker-bake.hcl'), 'utf8').split('\n')[0]).toBe('# Code generated by matrix from ../matrix.yaml; DO NOT EDIT.');
    expect(readFileSync(path.join(dir, 'api/Dockerfile'), 'utf8').split('\n')[0]).toBe('# Code generated by matrix from ../matrix.yaml; DO NOT EDIT.');
    expect((await matrix(['gen', '--check'], dir)).status).toBe(0);
  });
});

describe('matrix gen: working directory', () => {
  it('the output does not depend on the directory matrix runs in', async () => {
    const dir = tempRepo({ 'deploy/matrix.yaml': 'version: 1\nservices:\n  api:\n    context: ../shared\n    template: go\n', 'shared/go.mod': '' });
    const gen = await matrix(['gen'], path.join(dir, 'deploy'));
    expect(gen.status, gen.stderr).toBe(0);
    const before = hashTreeButRecords(dir);
    const fromRoot = await matrix(['gen', '--check', '--spec', 'deploy/matrix.yaml'], dir);
    expect(fromRoot.status, fromRoot.stdout).toBe(0);
    const fromShared = await matrix(['gen', '--check', '--spec', '../deploy/matrix.yaml'], path.join(dir, 'shared'));
    expect(fromShared.status, fromShared.stdout).toBe(0);
    // Nothing but the record (kept for the working directory and --spec of the last up-to-date check).
    expect(hashTreeButRecords(dir)).toBe(before);
  });
});

describe('a generated Dockerfile renamed to TARGET.Dockerfile', () => {
  const one = 'version: 1\nservices:\n  api:\n    context: app\n    template: go\n';
  const two = `${one}  worker:\n    context: app\n    template: go\n`;

  it('gen and gen --check say why, once, when a second service joins the directory', async () => {
    const dir = tempRepo({ 'matrix.yaml': one, 'app/go.mod': 'module app\n' });
    expect((await matrix(['gen'], dir)).status).toBe(0);
    writeFileSync(path.join(dir, 'matrix.yaml'), two);
    const note =
      'matrix: note: app/Dockerfile is now app/api.Dockerfile and app/worker.Dockerfile: services api and worker are generated into the same directory (app), so each Dockerfile is named after its target; docker-bake.hcl points at the new names\n';
    const check = await matrix(['gen', '--check'], dir);
    expect(check.status).toBe(1);
    expect(check.stderr).toBe(note);
    const gen = await matrix(['gen', '--quiet'], dir);
    expect(gen.status).toBe(0);
    expect(gen.stderr).toBe(note);
    expect(existsSync(path.join(dir, 'app', 'Dockerfile'))).toBe(false);
    expect((await matrix(['gen'], dir)).stderr).toBe('');
  });

  it('names the cells when matrix cells of one service render different Dockerfiles', async () => {
    const dir = tempRepo({ 'matrix.yaml': one, 'app/go.mod': 'module app\n' });
    expect((await matrix(['gen'], dir)).status).toBe(0);
    writeFileSync(path.join(dir, 'matrix.yaml'), `${one}    matrix:\n      go: ["1.22", "1.23"]\n    with:\n      go_image: golang:\${{ matrix.go }}\n`);
    const gen = await matrix(['gen'], dir);
    expect(gen.stderr).toContain('app/Dockerfile is now app/api-1-22.Dockerfile and app/api-1-23.Dockerfile: the matrix cells of api render different Dockerfiles');
  });
});
