// A secret's `src` is the one file a spec hands a build from anywhere on the
// machine. buildx 0.20 and later ask `--allow fs.read=PATH` for it when it is
// outside bake's working directory (bake/entitlements.go: a secret's FilePath
// is one of the read paths checked, links followed as far as they exist);
// matrix asks the same for a secret outside the repository, whatever buildx
// runs, and passes --allow on to bake where bake takes it.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { hashTree, removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

/** A docker whose `buildx bake --help` lists --allow (buildx 0.20+) or not; every call is logged. */
function fakeDocker(takesAllow: boolean): { bin: string; log: string } {
  const dir = tempDir('matrix-fake-docker-');
  const bin = path.join(dir, 'docker');
  const log = path.join(dir, 'calls');
  const help = takesAllow
    ? 'Usage:  docker buildx bake [OPTIONS] [TARGET...]\\n\\nOptions:\\n      --allow stringArray   Allow build to access specified resources\\n'
    : 'Usage:  docker buildx bake [OPTIONS] [TARGET...]\\n\\nOptions:\\n  -f, --file stringArray   Build definition file\\n';
  writeFileSync(bin, `#!/bin/sh\necho "$@" >> '${log}'\nif [ "$2" = bake ] && [ "$3" = --help ]; then printf '${help}'; exit 0; fi\nexit 1\n`);
  chmodSync(bin, 0o755);
  return { bin, log };
}

/** A repository whose one service reads secret `src`; `gen` has run. */
async function repoWithSecret(src: (dir: string) => string): Promise<string> {
  const dir = tempRepo({ 'app/Dockerfile': 'FROM scratch\nCOPY . /\n' });
  writeFileSync(
    path.join(dir, 'matrix.yaml'),
    `version: 1\nplatforms: [linux/amd64]\nservices:\n  app:\n    context: app\n    dockerfile: app/Dockerfile\n    secrets:\n      - { id: npmrc, src: ${JSON.stringify(src(dir))} }\n`,
  );
  const gen = await matrix(['gen', '-q'], dir);
  expect(gen.status, gen.stderr).toBe(0);
  return dir;
}

const outside = (): string => {
  const dir = tempDir('matrix-outside-');
  writeFileSync(path.join(dir, 'npmrc'), 'token\n');
  return dir;
};

describe('a secret outside the repository needs --allow fs.read', () => {
  it('an absolute src outside: a located error, exit 2, nothing written, docker not asked', async () => {
    const away = outside();
    const dir = await repoWithSecret(() => path.join(away, 'npmrc'));
    const docker = fakeDocker(true);
    const before = hashTree(dir);
    for (const cmd of [['bake'], ['bake', '--dry-run'], ['verify', '--dry-run']]) {
      const r = await matrix(cmd, dir, { MATRIX_DOCKER: docker.bin });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('matrix.yaml:8:27: error secret `npmrc` comes from');
      expect(r.stderr).toContain('which is outside the repository: the build would be handed that file [secret-outside-repo]');
      expect(r.stderr).toContain(`--allow fs.read=${away}`);
    }
    expect(hashTree(dir)).toEqual(before);
    expect(() => readFileSync(docker.log, 'utf8')).toThrow(); // never called
  });

  it('a src inside the repository that links outside is outside (its real path counts)', async () => {
    const away = outside();
    const dir = await repoWithSecret((d) => {
      mkdirSync(path.join(d, 'secrets'));
      symlinkSync(path.join(away, 'npmrc'), path.join(d, 'secrets', 'npmrc'));
      return 'secrets/npmrc';
    });
    const r = await matrix(['bake', '--dry-run'], dir, { MATRIX_DOCKER: fakeDocker(false).bin });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('which is outside the repository through a symbolic link');
  });

  it('--allow fs.read=DIR (or fs=DIR, or *) lets it be read; bake gets --allow where it takes it', async () => {
    const away = outside();
    const dir = await repoWithSecret(() => path.join(away, 'npmrc'));
    for (const allow of [`fs.read=${away}`, `fs=${away}`, 'fs.read=*', `fs.read=${path.join(away, 'npmrc')}`]) {
      const modern = await matrix(['bake', '--dry-run', '--allow', allow], dir, { MATRIX_DOCKER: fakeDocker(true).bin });
      expect(modern.status, modern.stderr).toBe(0);
      expect(modern.stdout).toContain(`--allow=${allow}`);
      const old = await matrix(['bake', '--dry-run', '--allow', allow], dir, { MATRIX_DOCKER: fakeDocker(false).bin });
      expect(old.status, old.stderr).toBe(0);
      expect(old.stdout).not.toContain('--allow');
      expect(old.stderr).not.toContain('not passed on'); // fs.read is matrix's own check there
    }
    // A sibling of the allowed directory is not below it.
    const sibling = await matrix(['bake', '--dry-run', '--allow', `fs.read=${away}-x`], dir, { MATRIX_DOCKER: fakeDocker(true).bin });
    expect(sibling.status).toBe(2);
  });

  it('image.push=* or fs.write=* grants no read', async () => {
    const away = outside();
    const dir = await repoWithSecret(() => path.join(away, 'npmrc'));
    for (const allow of ['image.push=*', 'image=*', 'fs.write=*', `fs.write=${away}`]) {
      const r = await matrix(['bake', '--dry-run', '--allow', allow], dir, { MATRIX_DOCKER: fakeDocker(true).bin });
      expect(r.status, allow).toBe(2);
      expect(r.stderr).toContain('[secret-outside-repo]');
    }
  });

  it('a relative --allow path is read from the working directory, and passed on to bake (which runs in the spec directory) made absolute', async () => {
    const away = outside();
    const dir = await repoWithSecret(() => path.join(away, 'npmrc'));
    const r = await matrix(['bake', '--dry-run', '--allow', `fs.read=${path.relative(dir, away)}`], dir, { MATRIX_DOCKER: fakeDocker(false).bin });
    expect(r.status, r.stderr).toBe(0);
    // From another directory, with --spec: the same path, given from there.
    const elsewhere = tempDir('matrix-cwd-');
    const from = await matrix(['bake', '--dry-run', '--spec', path.join(dir, 'matrix.yaml'), '--allow', `fs.read=${path.relative(elsewhere, away)}`], elsewhere, {
      MATRIX_DOCKER: fakeDocker(true).bin,
    });
    expect(from.status, from.stderr).toBe(0);
    expect(from.stdout).toContain(`--allow=fs.read=${away}`);
  });

  it('an entitlement a buildx without bake --allow cannot take is said, not passed on', async () => {
    const dir = await repoWithSecret(() => 'secrets/npmrc');
    const r = await matrix(['bake', '--dry-run', '--allow', 'network.host'], dir, { MATRIX_DOCKER: fakeDocker(false).bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("this buildx's bake takes no --allow (its --help lists none): network.host not passed on");
  });

  it('a secret inside the repository needs nothing, and bake is not asked for its help', async () => {
    const dir = await repoWithSecret(() => 'secrets/npmrc');
    const docker = fakeDocker(true);
    const r = await matrix(['bake', '--dry-run'], dir, { MATRIX_DOCKER: docker.bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('--allow');
    expect(() => readFileSync(docker.log, 'utf8')).toThrow();
  });

  it.each([['bogus'], ['fs.read='], ['fs.reed=/x'], ['network.host=1']])('--allow %s: a usage error naming the entitlements bake knows, exit 2', async (value) => {
    const dir = await repoWithSecret(() => 'secrets/npmrc');
    const r = await matrix(['bake', '--dry-run', '--allow', value], dir, { MATRIX_DOCKER: fakeDocker(true).bin });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--allow ${value}: not an entitlement buildx bake knows`);
    expect(r.stderr).toContain('hint: give fs.read=PATH');
  });
});
