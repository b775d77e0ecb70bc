// "Never leak a secret" (issue 12): secret files inside a build context, git
// remote credentials, a missing git binary and cache refs buildx would reject.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEnvironment, httpsSource, missingGitWarning, redactRemote } from '../../src/bake/gitenv.js';
import { cacheRefProblem } from '../../src/validate/cache.js';
import { matrix, matrixBin } from '../helpers/cli.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, tempDir, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

describe('a secret src inside a build context must be excluded by its .dockerignore', () => {
  // BuildKit sends the context minus what .dockerignore excludes; `COPY . .` copies the rest
  // (https://docs.docker.com/build/concepts/context/#dockerignore-files). It prefers
  // <Dockerfile>.dockerignore next to the Dockerfile to the context's own
  // (https://docs.docker.com/build/concepts/context/#filename-and-location).
  const spec = (src: string, extra = '') => `version: 1\nservices:\n  api:\n    context: api\n    template: go\n    secrets:\n      - id: npmrc\n        src: ${src}\n${extra}`;

  it('inside and not ignored: secret-in-context at the src value, with a hint naming .dockerignore', () => {
    const src = spec('api/.npmrc');
    const r = compileSpec(src, { ...goDirs('api'), 'api/.npmrc': 'token' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'secret-in-context', ...pos(src, 'api/.npmrc') }]);
    expect(r.diagnostics[0]!.path).toBe('services.api.secrets[0].src');
    expect(r.diagnostics[0]!.hint).toContain('api/.dockerignore');
    expect(r.files).toBeUndefined();
  });

  it('a file that does not exist yet is refused too (CI may write it before the build)', () => {
    const src = spec('api/secrets/token.txt');
    expect(brief(compileSpec(src, goDirs('api')).diagnostics)).toEqual([{ code: 'secret-in-context', ...pos(src, 'api/secrets/token.txt') }]);
  });

  it.each([
    ['.npmrc', 'api/.npmrc'],
    ['secrets/', 'api/secrets/token'],
    ['**/token', 'api/deep/er/token'],
    ['*\n!keep\n', 'api/.npmrc'],
  ])('.dockerignore %j excludes %s: accepted', (ignore, file) => {
    const r = compileSpec(spec(file), { ...goDirs('api'), 'api/.dockerignore': ignore });
    expect(r.diagnostics).toEqual([]);
  });

  it('a re-include (!) of the secret after an exclusion is refused (the last matching line wins)', () => {
    const src = spec('api/.npmrc');
    const r = compileSpec(src, { ...goDirs('api'), 'api/.dockerignore': '.*\n!.npmrc\n' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'secret-in-context', ...pos(src, 'api/.npmrc') }]);
  });

  it("the Dockerfile's own .dockerignore wins over the context's", () => {
    const r = compileSpec(spec('api/.npmrc'), { ...goDirs('api'), 'api/.dockerignore': '.npmrc\n', 'api/Dockerfile.dockerignore': 'other\n' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['secret-in-context']);
    expect(r.diagnostics[0]!.hint).toContain('api/Dockerfile.dockerignore');
  });

  it('outside the context (another directory, an absolute path) is fine', () => {
    expect(compileSpec(spec('ci/.npmrc'), { ...goDirs('api'), 'ci/.npmrc': 'x' }).diagnostics).toEqual([]);
    expect(compileSpec(spec('/run/secrets/npmrc'), goDirs('api')).diagnostics).toEqual([]);
  });

  // This case once passed as "the home directory". buildx expands no `~`:
  // docker/buildx util/buildflags/secrets.go parseSecret keeps `src` as
  // written, and `docker buildx bake --print` of `src=~/.npmrc` fails with
  // "failed to stat ~/.npmrc" while ~/.npmrc exists (checked on buildx 0.13).
  it('a src that starts with ~ is a located error: buildx would read a directory named ~', () => {
    for (const src of ['"~/.npmrc"', '"~"']) {
      const text = spec(src);
      const r = compileSpec(text, goDirs('api'));
      expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-value', ...pos(text, src) }]);
      expect(r.diagnostics[0]!.message).toMatch(/does not expand/);
      expect(r.diagnostics[0]!.hint).toMatch(/env/);
    }
  });

  it('a whole-repository context catches a secret anywhere, and `defaults.secrets` is located there', () => {
    const src = 'version: 1\ndefaults:\n  secrets:\n    - id: t\n      src: token.txt\nservices:\n  api:\n    context: .\n    template: go\n';
    expect(brief(compileSpec(src, { 'go.mod': 'module x\n' }).diagnostics)).toEqual([{ code: 'secret-in-context', ...pos(src, 'token.txt') }]);
  });

  it('a path through a symbolic link into the context is caught', () => {
    const src = spec('link/.npmrc');
    const r = compileSpec(src, { ...goDirs('api'), 'api/.npmrc': 'x', link: { symlink: 'api' } });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['secret-in-context']);
  });
});

describe('git remote URLs lose their credentials (labels, logs, --dry-run)', () => {
  const SECRET = 'S3cr3tT0ken';
  it.each([
    ['https://user:S3cr3tT0ken@github.com/acme/app.git', 'https://github.com/acme/app.git'],
    ['HTTPS://S3cr3tT0ken@GitHub.com/acme/app', 'https://GitHub.com/acme/app'],
    ['http://x-access-token:S3cr3tT0ken@host:8080/a/b', 'http://host:8080/a/b'],
    ['ssh://git:S3cr3tT0ken@host:2222/a/b.git', 'ssh://host:2222/a/b.git'],
    ['git+ssh://u:S3cr3tT0ken@host/a', 'git+ssh://host/a'],
    ['ftps://u:S3cr3tT0ken@host/a', 'ftps://host/a'],
    ['https://u:S3cr3tT0ken%40x@host/a', 'https://host/a'],
    ['https://u:S3cr3tT0ken@x@host/a', 'https://host/a'],
    ['https://u:S3cr3tT0ken/x@host/a', 'https://host/a'],
    ['git@github.com:acme/app.git', 'git@github.com:acme/app.git'],
    ['git:S3cr3tT0ken@github.com:acme/app.git', 'git@github.com:acme/app.git'],
    ['https://github.com/acme/app', 'https://github.com/acme/app'],
    ['/srv/git/app.git', '/srv/git/app.git'],
  ])('redactRemote(%s) = %s', (remote, want) => {
    expect(redactRemote(remote)).toBe(want);
    expect(httpsSource(remote)).not.toContain(SECRET);
  });

  it.each([
    ['git@github.com:acme/app.git', 'https://github.com/acme/app'],
    ['ssh://git@github.com:22/acme/app.git', 'https://github.com/acme/app'],
    ['HTTPS://tok@github.com/acme/app.git', 'https://github.com/acme/app'],
    ['git://github.com/acme/app', 'https://github.com/acme/app'],
  ])('httpsSource(%s) = %s', (remote, want) => expect(httpsSource(remote)).toBe(want));

  it('property: no scheme (any case) and no userinfo shape lets the password through', () => {
    const scheme = fc
      .constantFrom('https', 'http', 'ssh', 'git+ssh', 'ftp', 'ftps', 'svn+ssh', 'x-custom')
      .chain((s) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join('')));
    // Tokens: letters, digits and characters a password may hold (percent-encoded @ and : too).
    const token = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+;=-]{12,30}$/).map((t) => `Zq${t}`);
    const user = fc.constantFrom('', 'git', 'x-access-token', 'oauth2', 'me%40corp');
    const host = fc.constantFrom('github.com', 'gitlab.example:8443', '10.0.0.1', '[::1]:22');
    fc.assert(
      fc.property(scheme, user, token, host, fc.constantFrom('%40', '@', ':', ''), (s, u, t, h, sep) => {
        const secret = `${t}${sep}${t.slice(0, 4)}`;
        const url = `${s}://${u ? `${u}:` : ''}${secret}@${h}/acme/app.git`;
        const out = redactRemote(url);
        expect(out).not.toContain(t);
        expect(httpsSource(url)).not.toContain(t);
        expect(out.toLowerCase().startsWith(`${s.toLowerCase()}://`)).toBe(true);
        expect(out.endsWith(`${h}/acme/app.git`)).toBe(true);
      }),
      { numRuns: 400, seed: 12 },
    );
  });

  it('property: scp-like remotes keep the user, never the password', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
        fc.stringMatching(/^[A-Za-z0-9%@:!$]{10,20}$/).map((p) => `Pw${p}`),
        (u, p) => {
          const out = redactRemote(`${u}:${p}@github.com:acme/app.git`);
          expect(out).toBe(`${u}@github.com:acme/app.git`);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('a credential in the `origin` remote never reaches the label, the log or --dry-run output', async () => {
    const repo = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n', ...goDirs('api') });
    const git = (...args: string[]) => {
      const r = matrixGit(repo, args);
      expect(r, args.join(' ')).toBe(0);
    };
    git('init', '-q');
    git('remote', 'add', 'origin', `HTTPS://oauth2:${SECRET}@gitlab.example/acme/app.git`);
    expect((await matrix(['gen'], repo)).status).toBe(0);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x');
    const r = await matrix(['bake', '--dry-run'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout).toContain('https://gitlab.example/acme/app');
    // A caller's MATRIX_GIT_SOURCE is a label value too.
    const env = await matrix(['bake', '--dry-run'], repo, { MATRIX_GIT_SOURCE: `https://u:${SECRET}@h/x` });
    expect(env.stdout + env.stderr).not.toContain(SECRET);
  });
});

function matrixGit(cwd: string, args: string[]): number | null {
  return spawnSync('git', args, { cwd, stdio: 'ignore' }).status;
}

describe('a missing git binary: a warning, no revision values, no SOURCE_DATE_EPOCH', () => {
  it('buildEnvironment warns once and leaves every git value empty', async () => {
    // git runs with the environment it is given (the Io's), here one whose PATH has no git.
    const warnings: string[] = [];
    const env = await buildEnvironment(tempDir(), { PATH: tempDir('nogit-') }, undefined, undefined, (m) => warnings.push(m));
    expect(env.MATRIX_GIT_SHA).toBe('');
    expect(env.SOURCE_DATE_EPOCH).toBeUndefined();
    expect(warnings).toEqual([missingGitWarning('ENOENT')]);
    expect(warnings[0]).toContain('SOURCE_DATE_EPOCH');
  });

  it('`matrix bake --dry-run` says so before any build, and still prints the command', async () => {
    const repo = tempRepo({ 'matrix.yaml': 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n', ...goDirs('api') });
    expect((await matrix(['gen'], repo)).status).toBe(0);
    // A PATH with node only: git cannot be found. Spawned: the PATH must be the process's own,
    // which git's lookup reads (src/bake/gitenv.ts passes process.env to git).
    const bin = tempDir('path-');
    const r = matrixBin(['bake', '--dry-run'], repo, { PATH: bin });
    expect(r.stderr).toMatch(/^matrix: warning: git cannot be run \(ENOENT\).*SOURCE_DATE_EPOCH/m);
    expect(r.stdout).not.toContain('SOURCE_DATE_EPOCH=');
  });
});

describe('cache refs buildx would reject are located errors before any build', () => {
  // buildx reads each cache entry as one CSV record of key=value fields
  // (docker/buildx util/buildflags/cache.go), and `ref` as a distribution
  // reference (github.com/distribution/reference regexp.go: lower-case path
  // components, optional host[:port]); matrix adds a tag per platform set.
  it.each(['ghcr.io/acme/cache', 'localhost:5000/team/cache', 'registry.example.com:443/a/b-c__d.e', 'cache'])('%s is fine', (ref) => {
    expect(cacheRefProblem(ref)).toBeUndefined();
  });

  it.each([
    'ghcr.io/Acme/cache',
    'ghcr.io/acme/cache:tag',
    'ghcr.io/acme/cache@sha256:' + 'a'.repeat(64),
    'ghcr.io/acme/cache,mode=max',
    'ghcr.io/acme/cache"x',
    "a'b",
    'a=b',
    'a b',
    '-ref',
    'a//b',
    'a/-b',
    'x'.repeat(300),
  ])('%s is refused', (ref) => expect(cacheRefProblem(ref)).toBeDefined());

  it('at the ref value in the spec, nothing rendered', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: go\n    cache:\n      type: registry\n      ref: "ghcr.io/acme/cache,type=local,dest=/tmp"\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-cache-ref', ...pos(src, '"ghcr.io/acme/cache,type') }]);
    expect(r.files).toBeUndefined();
  });
});

describe('init reads the origin remote through the same redaction', () => {
  it('a credential shaped like a host does not pick the registry', async () => {
    const { registryFromGitConfig } = await import('../../src/init/propose.js');
    expect(registryFromGitConfig('[remote "origin"]\n\turl = https://github.com:tok@gitlab.example/acme/x\n')).toBeUndefined();
    expect(registryFromGitConfig('[remote "origin"]\n\turl = HTTPS://tok@github.com/Acme/x\n')).toBe('ghcr.io/acme');
  });
});
