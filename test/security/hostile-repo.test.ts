// A repository's own files decide where matrix keeps its records and lock, and
// its git configuration reaches the git commands matrix runs. Neither may make
// matrix write outside the repository or run a program.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksDirty, dockerAt } from '../../src/adapters/docker.js';
import { buildFilterSettings, safeGitEnvironment } from '../../src/adapters/git.js';
import { matrixAsync } from './run.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const SPEC = 'version: 1\nservices:\n  api: { context: api, template: go }\n';
const tree = (dir: string) => {
  mkdirSync(path.join(dir, 'api'), { recursive: true });
  writeFileSync(path.join(dir, 'api', 'go.mod'), 'module example.com/api\n');
  writeFileSync(path.join(dir, 'matrix.yaml'), SPEC);
};
/** A real git repository holding the spec's tree, committed. */
const committedRepo = () => {
  const dir = tempDir();
  git(dir, 'init', '-q');
  tree(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'x');
  return dir;
};

describe('a .git file names where records go only when it names a git directory', () => {
  // git's own test of a git directory (setup.c is_git_directory): HEAD, objects/ and refs/.
  it('a gitdir that is a plain directory outside gets nothing: records and lock go to the private temp dir', async () => {
    const repo = tempDir();
    const victim = tempDir('matrix-victim-');
    tree(repo);
    writeFileSync(path.join(repo, '.git'), `gitdir: ${victim}\n`);
    for (const args of [['gen'], ['gen', '--check'], ['validate'], ['plan']]) {
      const r = await matrixAsync(args, repo, { TMPDIR: tempDir('matrix-tmp-') });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(readdirSync(victim)).toEqual([]);
  });

  it("a linked worktree's gitdir (HEAD, and objects/ through commondir) still keeps the records", async () => {
    const main = committedRepo();
    const wt = path.join(tempDir(), 'wt');
    git(main, 'worktree', 'add', '-q', wt);
    const r = await matrixAsync(['gen'], wt);
    expect(r.status, r.stderr).toBe(0);
    const gitdir = path.join(main, '.git', 'worktrees', 'wt');
    expect(readdirSync(gitdir).some((f) => /^matrix-check-[0-9a-f]{16}\.json$/.test(f))).toBe(true);
  });
});

describe("the repository's git configuration runs no program", () => {
  // core.fsmonitor is a command git runs from `status` and `diff` (git-config(1)); matrix runs git with -c core.fsmonitor=false.
  it('core.fsmonitor set in the repository is not run by plan --affected', async () => {
    const repo = committedRepo();
    const marker = path.join(tempDir(), 'ran');
    git(repo, 'config', 'core.fsmonitor', `touch '${marker}'; false`);
    writeFileSync(path.join(repo, 'api', 'main.go'), 'package main\n');
    const r = await matrixAsync(['plan', '--affected', 'HEAD'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  /** A program that records that it ran, in a fresh directory; [program, marker]. */
  const tattler = (): [string, string] => {
    const dir = tempDir();
    const program = path.join(dir, 'tattle');
    writeFileSync(program, `#!/bin/sh\ntouch '${path.join(dir, 'ran')}'\ncat\n`, { mode: 0o755 });
    return [program, path.join(dir, 'ran')];
  };

  // gitattributes(5) "filter": `diff` hashes a changed working-tree file through its driver's clean or process command.
  it.each(['clean', 'process'])('a filter driver %s command named by .gitattributes is not run by plan --affected', async (kind) => {
    const repo = committedRepo();
    const [program, marker] = tattler();
    writeFileSync(path.join(repo, 'api', 'main.go'), 'package main\n');
    git(repo, 'add', '-N', 'api/main.go');
    writeFileSync(path.join(repo, '.gitattributes'), '* filter=Tattle\n');
    git(repo, 'config', `filter.Tattle.${kind}`, program);
    git(repo, 'config', 'filter.Tattle.required', 'true');
    writeFileSync(path.join(repo, 'api', 'go.mod'), 'module example.com/api // changed\n');
    const r = await matrixAsync(['plan', '--affected', 'HEAD', '--json'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(JSON.parse(r.stdout).affected.targets.map((t: { name: string }) => t.name)).toContain('api');
  });

  // A repository inside the context, added to the spec's repository (a gitlink, as a submodule is): `git diff`
  // enters it and runs `git status` there, which hashes its changed files through the drivers of its own
  // config. The spec's repository does not have them, so turning off its own was not enough.
  it.each([1, 2])('a filter driver of a repository the index holds, %i level(s) down, is not run by plan --affected', async (levels) => {
    const repo = committedRepo();
    const [program, marker] = tattler();
    let inner = path.join(repo, 'api');
    const made: string[] = [];
    for (let i = 0; i < levels; i++) {
      inner = path.join(inner, `inner${i}`);
      mkdirSync(inner);
      git(inner, 'init', '-q');
      made.push(inner);
    }
    // Innermost first: each repository commits the one inside it as a gitlink.
    writeFileSync(path.join(inner, 'a'), 'a\n');
    for (const d of made.reverse()) {
      git(d, 'add', '-A');
      git(d, 'commit', '-q', '-m', 'x');
    }
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'nested');
    git(inner, 'config', 'filter.y.clean', program);
    writeFileSync(path.join(inner, '.git', 'info', 'attributes'), '* filter=y\n');
    // Same size, newer time: git must hash it to know.
    writeFileSync(path.join(inner, 'a'), 'b\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(inner, 'a'), later, later);
    // Outside matrix, git diff in the spec's repository runs it: the case is not vacuous.
    spawnSync('git', ['diff', '--name-only', 'HEAD'], { cwd: repo, env: GIT_ENV });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    utimesSync(path.join(inner, 'a'), new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
    const r = await matrixAsync(['plan', '--affected', 'HEAD', '--json'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    // The change inside it still counts: read without the filter, the file differs from its commit.
    expect(JSON.parse(r.stdout).affected.targets.map((t: { name: string }) => t.name)).toContain('api');
  });

  it('a filter driver whose name `-c` cannot spell is refused, not left on', async () => {
    const repo = committedRepo();
    const [program, marker] = tattler();
    writeFileSync(path.join(repo, '.gitattributes'), '* filter=a=b\n');
    git(repo, 'config', 'filter.a=b.clean', program);
    writeFileSync(path.join(repo, 'api', 'go.mod'), 'module example.com/api // changed\n');
    const r = await matrixAsync(['plan', '--affected', 'HEAD'], repo);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[git-unsafe-config]');
    expect(r.stderr).toContain('"a=b"');
    expect(existsSync(marker)).toBe(false);
  });

  // githooks(5): a command that writes the index runs post-index-change; `diff` refreshes and may write it.
  it('a post-index-change hook is not run', async () => {
    const repo = committedRepo();
    const [program, marker] = tattler();
    git(repo, 'config', 'core.hooksPath', path.dirname(program));
    writeFileSync(path.join(path.dirname(program), 'post-index-change'), `#!/bin/sh\nexec '${program}' </dev/null\n`, { mode: 0o755 });
    // A newer mtime with the same content: git must read the file to know it is unchanged, and would write the index.
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(repo, 'api', 'go.mod'), later, later);
    const r = await matrixAsync(['plan', '--affected', 'HEAD'], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  // git-config(1) log.showSignature: `log` verifies a signed commit with gpg.program and prints what it says.
  it('log.showSignature does not make the git values run gpg.program, nor add its lines to the commit read', async () => {
    const repo = committedRepo();
    const [program, marker] = tattler();
    const signer = path.join(tempDir(), 'sign');
    writeFileSync(signer, "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED D 1 8 00 0 X' >&2\nprintf -- '-----BEGIN PGP SIGNATURE-----\\n\\nx\\n-----END PGP SIGNATURE-----\\n'\n", {
      mode: 0o755,
    });
    writeFileSync(path.join(repo, 'matrix.yaml'), 'version: 1\nservices:\n  api: { context: api, template: go, tags: ["r.example/api:${{ git.short_sha }}"] }\n');
    git(repo, 'add', '-A');
    git(repo, '-c', `gpg.program=${signer}`, 'commit', '-q', '-S', '-m', 'signed');
    git(repo, 'config', 'log.showSignature', 'true');
    git(repo, 'config', 'gpg.program', program);
    const sha = git(repo, 'rev-parse', '--short=7', 'HEAD').trim();
    const r = await matrixAsync(['plan', '--json'], repo, { MATRIX_GIT_SHA: '' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain(`r.example/api:${sha}`);
  });
});

/**
 * A committed spec repository whose service `api` is a repository of its own
 * (as a vendored checkout) with a clean filter driver that notes each run in
 * `marker`; the spec's files generated and committed.
 */
async function nestedApiRepo(): Promise<{ repo: string; dir: string; marker: string }> {
  const repo = tempDir();
  tree(repo);
  const dir = tempDir();
  const marker = path.join(dir, 'ran');
  const program = path.join(dir, 'tattle');
  writeFileSync(program, `#!/bin/sh\necho x >> '${marker}'\ncat\n`, { mode: 0o755 });
  git(path.join(repo, 'api'), 'init', '-q');
  writeFileSync(path.join(repo, 'api', '.gitattributes'), '*.mod filter=inner\n');
  git(path.join(repo, 'api'), 'add', '-A');
  git(path.join(repo, 'api'), 'commit', '-q', '-m', 'x');
  git(path.join(repo, 'api'), 'config', 'filter.inner.clean', program);
  git(repo, 'init', '-q');
  expect((await matrixAsync(['gen'], repo)).status).toBe(0);
  git(repo, 'add', 'matrix.yaml', 'docker-bake.hcl');
  git(repo, 'commit', '-q', '-m', 'x');
  return { repo, dir, marker };
}

describe('the git that docker starts gets the same settings', () => {
  // buildx runs git in the build context (provenance, labels; `git status` with BUILDX_GIT_CHECK_DIRTY).
  const script = (dir: string) => {
    const fake = path.join(tempDir(), 'docker');
    writeFileSync(fake, `#!/bin/sh\ncd '${dir}' || exit 9\ngit status --porcelain >/dev/null\ngit log -1 --format=%H\n`, { mode: 0o755 });
    return fake;
  };
  const hostile = () => {
    const repo = committedRepo();
    const marker = path.join(tempDir(), 'ran');
    git(repo, 'config', 'core.fsmonitor', `touch '${marker}'; false`);
    git(repo, 'config', 'log.showSignature', 'true');
    git(repo, 'config', 'gpg.program', `sh -c "touch '${marker}'"`);
    writeFileSync(path.join(repo, 'api', 'main.go'), 'package main\n');
    return { repo, marker };
  };

  it("a program docker runs through the adapter runs git without the repository's fsmonitor", async () => {
    const { repo, marker } = hostile();
    // The same script without the adapter's environment does run it: the case is not vacuous.
    spawnSync(script(repo), { env: process.env });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    const r = await dockerAt(script(repo), process.env).capture([], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  // buildx's build/git.go: with BUILDX_GIT_CHECK_DIRTY (read by strconv.ParseBool) it runs `git status` in the
  // build context, and git hashes a file whose stat data changed through its filter's clean command.
  const filtered = () => {
    const repo = committedRepo();
    const dir = tempDir();
    const marker = path.join(dir, 'ran');
    const program = path.join(dir, 'tattle');
    writeFileSync(program, `#!/bin/sh\ntouch '${marker}'\ncat\n`, { mode: 0o755 });
    writeFileSync(path.join(repo, '.gitattributes'), '*.mod filter=evil\n*.go filter=included\n');
    git(repo, 'config', 'filter.evil.clean', program);
    // A driver from a file the repository's config includes is the repository's too.
    writeFileSync(path.join(dir, 'more.cfg'), `[filter "included"]\n\tclean = ${program}\n`);
    git(repo, 'config', 'include.path', path.join(dir, 'more.cfg'));
    writeFileSync(path.join(repo, 'api', 'main.go'), 'package main\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'y');
    rmSync(marker, { force: true });
    // New stat data, same bytes: status must hash both files again.
    const later = new Date(Date.now() + 60_000);
    for (const f of ['api/go.mod', 'api/main.go']) utimesSync(path.join(repo, f), later, later);
    return { repo, marker };
  };
  const build = (dir: string, env: NodeJS.ProcessEnv) => {
    const fake = path.join(tempDir(), 'docker');
    writeFileSync(fake, `#!/bin/sh\ngit status --porcelain\necho "lfs=$(git config filter.lfs.clean)" "evil=$(git config filter.evil.clean)"\n`, { mode: 0o755 });
    let out = '';
    return dockerAt(fake, env)
      .stream(
        [],
        { cwd: dir },
        () => undefined,
        (chunk) => (out += chunk),
      )
      .then((r) => ({ ...r, out }));
  };

  it("with BUILDX_GIT_CHECK_DIRTY, a build's git status runs none of the repository's filter drivers, included ones too", async () => {
    const { repo, marker } = filtered();
    // The same script outside the adapter runs the driver: the case is not vacuous.
    execFileSync('git', ['status', '--porcelain'], { cwd: repo, env: GIT_ENV });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    for (const f of ['api/go.mod', 'api/main.go']) utimesSync(path.join(repo, f), new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
    const r = await build(repo, { ...process.env, BUILDX_GIT_CHECK_DIRTY: 'true' });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    // Unfiltered, the bytes are the committed bytes: nothing reads as changed.
    expect(r.out).not.toMatch(/^ ?M /m);
    expect(r.out).toMatch(/ evil=$/m);
  });

  it("the user's own filter drivers (git-lfs in the global config) stay on: an LFS file must not read as changed", async () => {
    const { repo } = filtered();
    const home = tempDir();
    writeFileSync(path.join(home, '.gitconfig'), '[filter "lfs"]\n\tclean = git-lfs clean -- %f\n');
    const r = await build(repo, { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), BUILDX_GIT_CHECK_DIRTY: '1' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('lfs=git-lfs clean -- %f evil=');
  });

  it('without the dirty check (unset, or a value Go does not read as true) the settings are the usual three', async () => {
    expect(['1', 't', 'T', 'TRUE', 'true', 'True'].filter((v) => checksDirty({ BUILDX_GIT_CHECK_DIRTY: v }))).toHaveLength(6);
    expect(['', '0', 'false', 'yes', 'on', ' 1', 'tRUE'].filter((v) => checksDirty({ BUILDX_GIT_CHECK_DIRTY: v }))).toEqual([]);
    expect(checksDirty({})).toBe(false);
    const { repo } = filtered();
    const r = await build(repo, { ...process.env, BUILDX_GIT_CHECK_DIRTY: 'yes' });
    expect(r.out).toMatch(/evil=\S+\/tattle$/m);
  });

  it('with the dirty check, a filter driver name the settings cannot spell refuses the build before docker starts', async () => {
    const repo = committedRepo();
    git(repo, 'config', 'filter.a=b.clean', 'cat');
    await expect(build(repo, { ...process.env, BUILDX_GIT_CHECK_DIRTY: '1' })).rejects.toMatchObject({ diagnostics: [expect.objectContaining({ code: 'git-unsafe-config' })] });
  });

  it('a build context in a nested repository (its own .git, as a vendored checkout): its drivers are off too', async () => {
    const repo = committedRepo();
    const dir = tempDir();
    const marker = path.join(dir, 'ran');
    const program = path.join(dir, 'tattle');
    writeFileSync(program, `#!/bin/sh\necho x >> '${marker}'\ncat\n`, { mode: 0o755 });
    const nested = path.join(repo, 'vendor', 'lib');
    mkdirSync(path.join(nested, 'src'), { recursive: true });
    git(nested, 'init', '-q');
    writeFileSync(path.join(nested, '.gitattributes'), '*.txt filter=inner\n');
    writeFileSync(path.join(nested, 'src', 'a.txt'), 'a\n');
    git(nested, 'add', '-A');
    git(nested, 'commit', '-q', '-m', 'x');
    // Set after the commit: the driver is the nested repository's own config, which the spec's repository does not have.
    git(nested, 'config', 'filter.inner.clean', program);
    const touch = () => utimesSync(path.join(nested, 'src', 'a.txt'), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    touch();
    // Outside the adapter, git status there runs the driver: the case is not vacuous.
    execFileSync('git', ['status', '--porcelain'], { cwd: nested, env: GIT_ENV });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    const fake = path.join(tempDir(), 'docker');
    // As buildx does: git in each context. The spec's own context (api) and two in the nested repository.
    writeFileSync(fake, `#!/bin/sh\nfor d in api vendor/lib vendor/lib/src; do (cd "$d" && git status --porcelain); done\n`, { mode: 0o755 });
    const run = (contexts: string[]) => {
      touch();
      return dockerAt(fake, { ...process.env, BUILDX_GIT_CHECK_DIRTY: '1' }).stream(
        [],
        { cwd: repo, contexts },
        () => undefined,
        () => undefined,
      );
    };
    expect((await run(['api', 'vendor/lib', path.join(nested, 'src')])).code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    // Without the contexts named, only the spec's repository is read: the nested driver runs (what the contexts are for).
    await run([]);
    expect(existsSync(marker)).toBe(true);
  });

  it('matrix bake names every context to the adapter: a service whose context is a nested repository gets its drivers turned off', async () => {
    const { repo, dir, marker } = await nestedApiRepo();
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(repo, 'api', 'go.mod'), later, later);
    const fake = path.join(dir, 'docker');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'case "$1 $2" in',
        `"buildx inspect") printf 'Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nPlatforms: linux/amd64, linux/arm64\\n'; exit 0;;`,
        // As buildx does with BUILDX_GIT_CHECK_DIRTY: git status in the target's context.
        '"buildx bake") (cd api && git status --porcelain) >&2; exit 0;;',
        'esac',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    // The driver runs when git status runs there without matrix: the case is not vacuous.
    execFileSync('git', ['status', '--porcelain'], { cwd: path.join(repo, 'api'), env: GIT_ENV });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    // New stat data again (that git status refreshed the index): the next status must hash the file again.
    const again = new Date(Date.now() + 120_000);
    utimesSync(path.join(repo, 'api', 'go.mod'), again, again);
    const r = await matrixAsync(['bake'], repo, { MATRIX_DOCKER: fake, BUILDX_GIT_CHECK_DIRTY: 'true' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('matrix verify names its contexts to the adapter too: the rebuild of a service in a nested repository runs none of its drivers', async () => {
    const { repo, dir, marker } = await nestedApiRepo();
    const baked = path.join(dir, 'baked');
    const fake = path.join(dir, 'docker');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'case "$1 $2" in',
        `"buildx inspect") printf 'Name:   default\\nDriver: docker-container\\n\\nNodes:\\nName:      default0\\nEndpoint:  unix:///var/run/docker.sock\\nStatus:    running\\nPlatforms: linux/amd64, linux/arm64\\n'; exit 0;;`,
        '"version --format") echo 26.1.5; exit 0;;',
        '"buildx version") echo "github.com/docker/buildx v0.13.1 0"; exit 0;;',
        '"info --format") echo null; exit 0;;',
        // What --against names: a one-platform index in the registry.
        `"buildx imagetools") echo '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:${'a'.repeat(64)}","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}'; exit 0;;`,
        // The rebuild: git status in the context, as buildx does with BUILDX_GIT_CHECK_DIRTY; then a failure (no image to compare).
        `"buildx bake") echo x > '${baked}'; (cd api && git status --porcelain) >&2; exit 1;;`,
        'esac',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const touch = () => {
      const later = new Date(Date.now() + 60_000 + Math.random() * 60_000);
      utimesSync(path.join(repo, 'api', 'go.mod'), later, later);
    };
    touch();
    // The driver runs when git status runs there without matrix: the case is not vacuous.
    execFileSync('git', ['status', '--porcelain'], { cwd: path.join(repo, 'api'), env: GIT_ENV });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    touch();
    const r = await matrixAsync(['verify', 'api', '--against', 'localhost:5000/x/api:v1'], repo, { MATRIX_DOCKER: fake, BUILDX_GIT_CHECK_DIRTY: 'true' });
    expect(existsSync(baked), r.stderr).toBe(true); // verify reached its rebuild
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('each repository around the contexts is asked once for its drivers (and once for the repositories its index holds); a context in no repository asks nothing', async () => {
    const repo = committedRepo();
    mkdirSync(path.join(repo, 'vendor', 'lib', 'a'), { recursive: true });
    mkdirSync(path.join(repo, 'vendor', 'lib', 'b'), { recursive: true });
    git(path.join(repo, 'vendor', 'lib'), 'init', '-q');
    git(path.join(repo, 'vendor', 'lib'), 'config', 'filter.inner.clean', 'cat');
    git(repo, 'config', 'filter.outer.clean', 'cat');
    const loose = tempDir();
    // A git on PATH that notes where it ran, then runs git.
    const bin = tempDir();
    const log = path.join(bin, 'log');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\npwd >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const contexts = ['api', '.', 'vendor/lib', 'vendor/lib/a', path.join(repo, 'vendor', 'lib', 'b'), path.join(loose), path.join(loose, 'x')];
    const settings = await buildFilterSettings(repo, contexts, env);
    // Two questions each: `ls-files --stage` (gitlinks: repositories git would enter, none here) and `config`.
    expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual([repo, repo, path.join(repo, 'vendor', 'lib'), path.join(repo, 'vendor', 'lib')].sort());
    expect(settings.map(([k]) => k).filter((k) => k.endsWith('.clean'))).toEqual(['filter.outer.clean', 'filter.inner.clean']);
  });

  it("with the dirty check, the drivers of a repository the context's index holds (a gitlink) are turned off too", async () => {
    // buildx's `git status` in the context enters it as `git diff` does (plan --affected, above).
    const repo = committedRepo();
    const inner = path.join(repo, 'api', 'inner');
    mkdirSync(inner);
    git(inner, 'init', '-q');
    writeFileSync(path.join(inner, 'a'), 'a\n');
    git(inner, 'add', '-A');
    git(inner, 'commit', '-q', '-m', 'x');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'gitlink');
    git(inner, 'config', 'filter.y.clean', 'cat');
    const settings = await buildFilterSettings(repo, ['api'], process.env);
    expect(settings).toContainEqual(['filter.y.clean', '']);
    expect(settings).toContainEqual(['filter.y.required', 'false']);
  });

  it("the caller's own GIT_CONFIG_* settings are kept, ours after them", () => {
    const env = safeGitEnvironment({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'ci' });
    expect(env.GIT_CONFIG_KEY_0).toBe('user.name');
    expect(Number(env.GIT_CONFIG_COUNT)).toBeGreaterThan(1);
    const keys = Array.from({ length: Number(env.GIT_CONFIG_COUNT) }, (_, i) => env[`GIT_CONFIG_KEY_${i}`]);
    expect(keys).toEqual(['user.name', 'core.fsmonitor', 'core.hooksPath', 'log.showSignature']);
  });
});

describe('a git directory that blocks git', () => {
  // A FIFO where git reads HEAD: every git command waits for a writer. buildx runs git in the context with no time limit.
  it('bake gives up on git after its time limit, warns, and tells buildx not to run git', async () => {
    const repo = committedRepo();
    expect((await matrixAsync(['gen'], repo)).status).toBe(0);
    rmSync(path.join(repo, '.git', 'HEAD'));
    execFileSync('mkfifo', [path.join(repo, '.git', 'HEAD')]);
    const r = await matrixAsync(['bake', '--dry-run'], repo, { MATRIX_GIT_QUERY_TIMEOUT_MS: '1000' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('git did not answer in time');
    expect(r.stdout).toMatch(/BUILDX_GIT_INFO=false BUILDX_GIT_LABELS=false docker/);
  }, 30_000);

  // --affected needs git's answer, so it cannot go on without it: a fault of the machine (exit 74), said as
  // such, after one query's time. It was `git revision 'HEAD' not found` (unknown-ref, exit 2) after 120 s,
  // and with a git that never answers, two waits of 120 s.
  it.each([
    ['a FIFO where git reads packed-refs', 'fifo'],
    ['a git that never answers', 'hang'],
  ])(
    'plan --affected, %s: exit 74 saying git did not answer, within the query time',
    async (_, how) => {
      const repo = committedRepo();
      expect((await matrixAsync(['gen'], repo)).status).toBe(0);
      const env: Record<string, string> = { MATRIX_GIT_QUERY_TIMEOUT_MS: '1000' };
      if (how === 'fifo') {
        git(repo, 'pack-refs', '--all');
        rmSync(path.join(repo, '.git', 'packed-refs'));
        execFileSync('mkfifo', [path.join(repo, '.git', 'packed-refs')]);
      } else {
        const bin = tempDir();
        writeFileSync(path.join(bin, 'git'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
        env.PATH = `${bin}:${process.env.PATH}`;
      }
      const started = Date.now();
      const r = await matrixAsync(['plan', '--affected', 'HEAD'], repo, env);
      expect(r.status, r.stderr).toBe(74);
      expect(r.stderr).toMatch(/git did not answer within 1 s \(`git rev-parse` in .*\): something blocks it/);
      expect(r.stderr).not.toContain('not found');
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    30_000,
  );
});

describe('an empty file that matrix did not write', () => {
  it('at a generated_file path: gen refuses it (not-generated) and leaves it as it is', async () => {
    const repo = tempDir();
    tree(repo);
    mkdirSync(path.join(repo, '.git'));
    mkdirSync(path.join(repo, 'pkg'));
    writeFileSync(path.join(repo, 'pkg', '__init__.py'), '');
    writeFileSync(path.join(repo, 'matrix.yaml'), 'version: 1\nservices:\n  api: { context: api, template: go, generated_file: pkg/__init__.py }\n');
    const r = await matrixAsync(['gen'], repo);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[not-generated]');
    expect(readFileSync(path.join(repo, 'pkg', '__init__.py'), 'utf8')).toBe('');
  });
});

describe('commit times git prints that are no time', () => {
  // A commit object holds any decimal number as its time, and `git log --format=%ct` prints it
  // (git's own parser, commit.c parse_commit_date, reads it with parse_timestamp). One past the
  // year 9999 made `new Date(...).toISOString()` throw: `matrix bake` died as "a bug in matrix".
  // Its time is now not used, as where git cannot run: no SOURCE_DATE_EPOCH and no `created` from it.
  it('a commit dated past the year 9999 gives no SOURCE_DATE_EPOCH or created label, and bake still runs', async () => {
    const dir = committedRepo();
    writeFileSync(path.join(dir, 'matrix.yaml'), `${SPEC}oci_labels: true\n`);
    git(dir, 'add', '-A');
    const treeSha = git(dir, 'write-tree').trim();
    const body = `tree ${treeSha}\nauthor t <t@e> 99999999999999 +0000\ncommitter t <t@e> 99999999999999 +0000\n\nfrom far ahead\n`;
    const commit = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: dir, input: body, encoding: 'utf8' }).trim();
    git(dir, 'reset', '-q', '--hard', commit);
    expect(git(dir, 'log', '-1', '--format=%ct').trim()).toBe('99999999999999');
    expect((await matrixAsync(['gen'], dir)).status).toBe(0);
    const r = await matrixAsync(['bake', '--dry-run'], dir);
    expect(r.stderr).not.toContain('bug in matrix');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`api.labels.org.opencontainers.image.revision=${commit}`);
    expect(r.stdout).not.toContain('SOURCE_DATE_EPOCH');
    expect(r.stdout).not.toContain('image.created');
    expect(r.stdout).not.toContain('MATRIX_GIT_CREATED=9');
  });
});
