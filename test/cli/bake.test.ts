// Does `docker buildx bake` accept what we generate, and read it the way
// `matrix plan` says? Needs only the docker CLI with buildx (`--print` does
// not talk to the daemon). Skipped where buildx is missing, except under CI=true.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { copySample, removeTempDirs, REPO_ROOT } from '../helpers/tree.js';

afterAll(removeTempDirs);

const buildx = spawnSync('docker', ['buildx', 'version'], { encoding: 'utf8', timeout: 20_000 });
const hasBuildx = !buildx.error && buildx.status === 0;
const run = hasBuildx || process.env.CI === 'true';

const samples = readdirSync(path.join(REPO_ROOT, 'samples'))
  .filter((d) => existsSync(path.join(REPO_ROOT, 'samples', d, 'matrix.yaml')))
  .sort();

interface Printed {
  group: Record<string, { targets: string[] }>;
  target: Record<string, { platforms?: string[]; tags?: string[]; args?: Record<string, string>; labels?: Record<string, string>; contexts?: Record<string, string> }>;
}

interface Planned {
  bakeFile: string;
  targets: { name: string; platforms: { platform: string }[]; tags: string[]; args: Record<string, string>; labels: Record<string, string>; contexts: Record<string, string> }[];
}

describe.skipIf(!run)('docker buildx bake --print', () => {
  it('docker buildx is available', () => {
    expect(hasBuildx, `docker buildx version failed: ${buildx.error?.message ?? buildx.stderr}`).toBe(true);
  });

  it.each(samples)('accepts the output for %s and agrees with matrix plan --json', async (sample) => {
    const dir = copySample(sample);
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const planRun = await matrix(['plan', '--json', '--build-platform', 'linux/amd64'], dir);
    expect(planRun.status, planRun.stderr).toBe(0);
    const plan = JSON.parse(planRun.stdout) as Planned;

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BUILDX_BAKE_')) env[k] = v;
    const bake = spawnSync('docker', ['buildx', 'bake', '-f', plan.bakeFile, '--print'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
    expect(bake.status, bake.stderr).toBe(0);
    const printed = JSON.parse(bake.stdout) as Printed;

    const names = plan.targets.map((t) => t.name);
    expect(printed.group.default!.targets).toEqual(names);
    expect(Object.keys(printed.target).sort()).toEqual([...names].sort());
    for (const t of plan.targets) {
      const p = printed.target[t.name]!;
      expect({ name: t.name, platforms: p.platforms, tags: p.tags ?? [], args: p.args ?? {}, labels: p.labels ?? {}, contexts: p.contexts ?? {} }).toEqual({
        name: t.name,
        platforms: t.platforms.map((x) => x.platform),
        tags: t.tags,
        args: t.args,
        labels: t.labels,
        contexts: t.contexts,
      });
    }
  });

  // buildx opens the file of a tar (or oci, docker) export while it reads the
  // options, --print included (controller/pb/export.go CreateExports): its
  // directory must exist, and in a fresh clone an ignored `dist/` does not.
  it('matrix bake --print makes the directory of a tar export, which buildx needs before it reads the file', async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}    output: ["type=tar,dest=out/images/hello.tar"]\n`);
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    const dry = await matrix(['bake', '--print', '--dry-run'], dir);
    expect(dry.status, dry.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'out'))).toBe(false); // a dry run changes nothing
    const r = await matrix(['bake', '--print'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'out', 'images'))).toBe(true);
  });
});

// A build that pushes nothing starts beside the engine checks (issue 18: bake's
// overhead); the checks still decide: a failed one stops bake, drops its output
// and says the fix, as before. A fake docker logs when each call starts and ends.
function fakeDocker(dir: string): { bin: string; log: string } {
  const bin = path.join(dir, 'fake-docker');
  const log = path.join(dir, 'fake-docker.log');
  const script = [
    '#!/bin/sh',
    `log='${log}'`,
    'case "$1 $2" in',
    '"buildx inspect")',
    '  echo "inspect-start $(date +%s%N)" >> "$log"',
    '  sleep "${FAKE_INSPECT_SLEEP:-0}"',
    '  echo "inspect-end $(date +%s%N)" >> "$log"',
    '  if [ -n "$FAKE_NO_BUILDER" ]; then echo \'ERROR: no builder "gone" found\' >&2; exit 1; fi',
    "  printf 'Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nPlatforms: linux/amd64, linux/arm64\\n'",
    '  exit 0;;',
    '"buildx bake")',
    '  echo "bake-start $(date +%s%N) $$" >> "$log"',
    '  echo "bake-args $*" >> "$log"',
    '  echo "bake-metadata-provenance ${BUILDX_METADATA_PROVENANCE-unset}" >> "$log"',
    '  if [ -n "$FAKE_BAKE_ERROR" ]; then echo "$FAKE_BAKE_ERROR" >&2; exit 1; fi',
    // Ended by a signal (the OOM killer's SIGKILL), or an exit code of its own (a wrapper's 137, 127 ...).
    '  if [ -n "$FAKE_BAKE_KILL" ]; then kill -"$FAKE_BAKE_KILL" $$; fi',
    '  if [ -n "$FAKE_BAKE_EXIT" ]; then exit "$FAKE_BAKE_EXIT"; fi',
    // The first bake fails with it, the next ones build.
    '  if [ -n "$FAKE_BAKE_ERROR_ONCE" ] && [ ! -e "$log.failed" ]; then : > "$log.failed"; echo "$FAKE_BAKE_ERROR_ONCE" >&2; exit 1; fi',
    // buildx's first line of plain progress once it loaded the builder (commands/bake.go, progress.WithDesc).
    '  if [ -n "$FAKE_BAKE_BUILDER" ]; then echo "#0 building with \\"$FAKE_BAKE_BUILDER\\" instance using docker driver" >&2; fi',
    '  echo "FAKE-BAKE-OUTPUT" >&2',
    '  sleep "${FAKE_BAKE_SLEEP:-0}"',
    '  echo "bake-end $(date +%s%N)" >> "$log"',
    '  exit 0;;',
    'esac',
    'echo "$@" >> "$log"',
    'exit 1',
    '',
  ].join('\n');
  writeFileSync(bin, script);
  chmodSync(bin, 0o755);
  return { bin, log };
}

/** The fake's log: event -> [nanosecond timestamp, pid]. */
function events(log: string): Map<string, [bigint, number]> {
  const out = new Map<string, [bigint, number]>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [name, t, pid] = line.split(' ');
    if (name && /^\d+$/.test(t ?? '')) out.set(name, [BigInt(t!), Number(pid)]);
  }
  return out;
}

/** The fake's log: each bake's value of `key` (`bake-args`: its arguments), in the order the bakes ran. */
function logged(log: string, key: 'bake-args' | 'bake-metadata-provenance'): string[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key} `))
    .map((l) => l.slice(key.length + 1));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// docker buildx bake --push (buildx bake/bake.go AddOverrides `push`, v0.13.1; docs/reference/
// buildx_bake.md --push) pushes a target without outputs and leaves a `type=local` one alone.
// matrix's all-or-nothing --push reads the outputs from bake --print (the real buildx here) and
// pushes, and later publishes, only what bake would push; a fake docker stops the build itself.
describe.skipIf(!run)('matrix bake --push pushes what docker buildx bake --push pushes', () => {
  it('a target whose output exports files is built with that output, not pushed', async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    const spec = readFileSync(file, 'utf8')
      .replace('localhost:5000/samples/hello-go:multiarch', 'example.com/acme/hello:1')
      .replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]');
    writeFileSync(
      file,
      `${spec}  bin:\n    context: .\n    template: go\n    with: { binary: hello }\n    tags: ["example.com/acme/bin:1"]\n    output: ["type=local,dest=dist/"]\n    test: [{ name: runs, command: ["/hello"] }]\n`,
    );
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const { bin, log } = bakeRecorder(dir, [
      '  for a in "$@"; do [ "$a" = --print ] && exec docker "$@"; done',
      `  echo "$@" >> '${path.join(dir, 'bake-args.log')}'`,
      '  echo "ERROR: stopped by the test" >&2; exit 1;;',
    ]);
    const r = await matrix(['bake', '--push', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix: note: bin is not pushed: its outputs export it');
    // Its test: checks run in pushed images only: the note says they do not run, rather than nothing.
    expect(r.stderr).toMatch(/note: bin is not pushed: .*; its test: checks do not run \(they run in pushed images only\)\n/);
    const args = readFileSync(log, 'utf8');
    expect(args).toContain('--set hello.output=type=image,push=true');
    expect(args).not.toMatch(/--set bin\.(output|tags)=/);
  }, 60_000);

  // A CI shard follows the same rule (src/ci/shard.ts shardPlan): the fake docker records bake's
  // arguments and writes bake's metadata file with a digest for each target.
  it('--push-by-digest: a target whose output exports files is built, not pushed, and is not in the shard file', async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    const spec = readFileSync(file, 'utf8')
      .replace('localhost:5000/samples/hello-go:multiarch', 'example.com/acme/hello:1')
      .replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]');
    writeFileSync(file, `${spec}  bin:\n    context: .\n    template: go\n    with: { binary: hello }\n    tags: ["example.com/acme/bin:1"]\n    output: ["type=local,dest=dist/"]\n`);
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const meta = JSON.stringify({ hello: { 'containerimage.digest': digest('a') }, bin: { 'containerimage.digest': digest('b') } });
    const { bin, log } = bakeRecorder(dir, [
      `  echo "$@" >> '${path.join(dir, 'bake-args.log')}'`,
      '  prev=; for a in "$@"; do [ "$prev" = --metadata-file ] && m="$a"; prev="$a"; done',
      `  printf '%s' '${meta}' > "$m"; exit 0;;`,
    ]);
    const r = await matrix(['bake', '--push-by-digest', '--run-id', 'r1', '--shard-file', 'shard.json', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('matrix: note: bin is not pushed: its outputs export it');
    const args = readFileSync(log, 'utf8');
    expect(args).toContain('--set hello.output=type=image,push=true');
    expect(args).not.toMatch(/--set bin\.(output|tags)=/);
    const shard = JSON.parse(readFileSync(path.join(dir, 'shard.json'), 'utf8'));
    expect(Object.keys(shard.targets)).toEqual(['hello']);
    expect(shard.targets.hello.digest).toBe(digest('a'));
  }, 60_000);
});

// bake reads every -f file before it looks a name up (docker/buildx bake/bake.go ReadLocalFiles,
// ReadTargets; commands/bake.go): `docker buildx bake -f docker-bake.hcl -f extra.hcl --print
// extra` resolves a target only extra.hcl defines. matrix bake -f builds it too (asking bake's
// --print, here the real buildx), and a name no file defines is unknown-target naming every file.
describe.skipIf(!run)('matrix bake -f: targets and groups that only the -f files define', () => {
  const setup = async () => {
    const dir = copySample('monorepo');
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    writeFileSync(path.join(dir, 'extra.hcl'), 'target "extra" {\n  context = "services/api"\n  dockerfile = "Dockerfile"\n}\ngroup "xg" {\n  targets = ["extra", "api"]\n}\n');
    return dir;
  };

  it('builds them as docker buildx bake does: the names reach bake, and its --print resolves them', async () => {
    const dir = await setup();
    const r = await matrix(['bake', '--dry-run', '-f', 'extra.hcl', 'extra'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/ -f docker-bake\.hcl -f extra\.hcl .*-- extra$/);
    const g = await matrix(['bake', '--dry-run', '-f', 'extra.hcl', 'xg'], dir);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout.trim()).toMatch(/-- api extra$/);
    const p = await matrix(['bake', '--print', '-f', 'extra.hcl', 'extra'], dir);
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).target.extra).toEqual({ context: 'services/api', dockerfile: 'Dockerfile' });
  }, 60_000);

  // --push publishes all or nothing; a target of a -f file is pushed as bake --push would push it
  // (under a temporary tag first, as the spec's are), one that exports files is not, and the
  // summary lists both. A fake docker answers the build (and runs the real buildx for --print).
  it('--push: a tagged -f target is pushed with the spec targets, an exporting one is not; the summary lists them', async () => {
    const dir = await setup();
    writeFileSync(
      path.join(dir, 'extra2.hcl'),
      'target "tagged" {\n  context = "services/api"\n  dockerfile = "Dockerfile"\n  tags = ["localhost:5000/x/tagged:1"]\n}\ntarget "exp" {\n  context = "services/api"\n  dockerfile = "Dockerfile"\n  output = ["type=local,dest=out"]\n}\n',
    );
    const { bin, log } = bakeRecorder(dir, [
      '  for a in "$@"; do [ "$a" = --print ] && exec docker "$@"; done',
      `  echo "$@" >> '${path.join(dir, 'bake-args.log')}'`,
      '  echo "ERROR: stopped by the test" >&2; exit 1;;',
    ]);
    const r = await matrix(['bake', '--push', '--retries', '0', '--platform', 'linux/amd64', '-f', 'extra2.hcl', 'tagged', 'exp', 'api'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix: note: exp is not pushed: its outputs export it');
    const args = readFileSync(log, 'utf8');
    expect(args).toMatch(/--set tagged\.tags=localhost:5000\/x\/tagged:matrix-tmp-\S+ --set tagged\.output=type=image,push=true/);
    expect(args).not.toMatch(/--set exp\.(output|tags)=/);
    expect(args.trim()).toMatch(/-- api tagged exp$/);
    for (const t of ['api', 'tagged', 'exp']) expect(r.stdout).toMatch(new RegExp(`^${t}\\s+linux/amd64`, 'm'));
  }, 60_000);

  it('a name no file defines: unknown-target naming every file read, with a did-you-mean from extra.hcl', async () => {
    const dir = await setup();
    const r = await matrix(['bake', '--dry-run', '-f', 'extra.hcl', 'extrq'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no target or group named `extrq` in docker-bake.hcl, extra.hcl');
    expect(r.stderr).toContain('did you mean `extra`?');
    const without = await matrix(['bake', '--dry-run', 'extra'], dir);
    expect(without.status).toBe(2);
    expect(without.stderr).toContain('no target or group named `extra` in docker-bake.hcl [unknown-target]');
  }, 60_000);
});

// Options of docker buildx bake that matrix bake does not take (docker/buildx
// docs/reference/buildx_bake.md: --list since 0.20, --call and --check since 0.16, --var since
// 0.31): a usage error, with what to use instead.
describe('a docker buildx bake option that matrix bake does not take', () => {
  // bake reads `-f -` from standard input (docker/buildx bake/bake.go ReadLocalFiles, v0.13.1).
  it('-f -: a bake-file error that says so, not "no such file"', async () => {
    const r = await matrix(['bake', '--dry-run', '-f', '-'], copySample('hello-go'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('-f -: matrix bake does not read a bake file from standard input');
  });

  it.each([
    ['--list', /hint: `matrix plan` lists every target/],
    ['--check', /hint: matrix bake only builds; .*docker buildx bake -f docker-bake.hcl --check/],
    ['--call=check', /hint: matrix bake only builds/],
    ['--var=TAG=1', /hint: bake also reads a variable from the environment variable of the same name/],
  ])('%s: exit 2 and a hint', async (flag, hint) => {
    const r = await matrix(['bake', flag], copySample('hello-go'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --[a-z]+ \[usage\]/);
    expect(r.stderr).toMatch(hint);
  });
});

describe('bake starts beside the engine checks, which still decide', () => {
  it('checks that pass: bake started before they ended, its output shown, exit 0', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_INSPECT_SLEEP: '1.5' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('FAKE-BAKE-OUTPUT');
    const ev = events(fake.log);
    expect(ev.get('bake-start')![0]).toBeLessThan(ev.get('inspect-end')![0]);
  });

  it('a builder that is gone: the checks fail with the fix, bake is stopped and its output never shown (exit 2)', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_NO_BUILDER: '1', FAKE_INSPECT_SLEEP: '3', FAKE_BAKE_SLEEP: '60' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('matrix: cannot build until this is fixed (see `matrix doctor`).');
    expect(r.stderr).toMatch(/fix:/);
    expect(r.stderr).not.toContain('FAKE-BAKE-OUTPUT');
    expect(r.stdout).toBe('');
    const ev = events(fake.log);
    expect(ev.has('bake-start')).toBe(true);
    expect(ev.has('bake-end')).toBe(false);
    expect(alive(ev.get('bake-start')![1])).toBe(false);
  });

  // buildx writes `#0 building with "NAME" instance using DRIVER driver` only once it loaded the
  // builder's nodes: what the one `buildx inspect` would have established. With nothing else to check,
  // that line stands for the checks, and no inspect runs beside the build.
  it('bake says which builder it reached: its output is shown and no buildx inspect runs', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_BUILDER: 'default', FAKE_BAKE_SLEEP: '3', FAKE_NO_BUILDER: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('#0 building with "default" instance using docker driver');
    expect(r.stderr).toContain('FAKE-BAKE-OUTPUT');
    const ev = events(fake.log);
    expect(ev.has('bake-end')).toBe(true);
    expect(ev.has('inspect-start')).toBe(false);
  });

  it('a bake that fails before it names a builder: the checks run and decide (exit 2, the fix, no bake output)', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_NO_BUILDER: '1', FAKE_BAKE_ERROR: 'ERROR: no builder "gone" found' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('matrix: cannot build until this is fixed (see `matrix doctor`).');
    expect(r.stderr).not.toContain('ERROR: no builder "gone" found');
    expect(events(fake.log).has('inspect-start')).toBe(true);
  });

  it('another progress mode: no line to read, so the checks run beside bake as before', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--progress', 'quiet'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_BUILDER: 'default', FAKE_NO_BUILDER: '1', FAKE_INSPECT_SLEEP: '0.5', FAKE_BAKE_SLEEP: '60' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('matrix: cannot build until this is fixed (see `matrix doctor`).');
    expect(r.stderr).not.toContain('FAKE-BAKE-OUTPUT');
    expect(events(fake.log).has('bake-end')).toBe(false);
  });

  it('--push waits for the checks before bake starts (a push reaches a registry)', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--push'], dir, { MATRIX_DOCKER: fake.bin, FAKE_NO_BUILDER: '1', FAKE_INSPECT_SLEEP: '0.5' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('matrix: cannot build until this is fixed (see `matrix doctor`).');
    expect(events(fake.log).has('bake-start')).toBe(false);
  });
  // A fully cached build can end before the checks do; if one then fails, nothing may have been
  // exported. So a run that writes outside the builder's cache waits: a target's `output` or
  // `cache-to`, --load, and what --set (buildx bake --set target.attr=value) or -f may add.
  it.each([
    ['a target output', [], (spec: string) => spec.replace('    template: go\n', '    template: go\n    output: ["type=local,dest=out"]\n')],
    ['a target cache', [], (spec: string) => spec.replace('    template: go\n', '    template: go\n    cache: {type: local}\n')],
    ['--load', ['--load'], (spec: string) => spec],
    ['--set *.output', ['--set', '*.output=type=local,dest=out'], (spec: string) => spec],
    ['--set hello.cache-to', ['--set', 'hello.cache-to=type=local,dest=c'], (spec: string) => spec],
  ] as const)('%s: bake waits for the checks', async (_name, args, edit) => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', ...args], dir, { MATRIX_DOCKER: fake.bin, FAKE_NO_BUILDER: '1', FAKE_INSPECT_SLEEP: '0.5' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('matrix: cannot build until this is fixed (see `matrix doctor`).');
    expect(events(fake.log).has('bake-start')).toBe(false);
  });

  it('interrupted while the checks still run: bake is stopped and matrix exits 128+signal, never with a check failure', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', MATRIX_DOCKER: fake.bin, FAKE_INSPECT_SLEEP: '20', FAKE_BAKE_SLEEP: '60' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 300 && !(existsSync(fake.log) && events(fake.log).has('bake-start')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(events(fake.log).has('bake-start')).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).not.toContain('cannot build until this is fixed');
    expect(alive(events(fake.log).get('bake-start')![1])).toBe(false);
  }, 60_000);
});

describe('a signal that comes as the build ends', () => {
  // test/helpers/signal-at-close.cjs sends the signal just before the bake child's 'close' is
  // reported: it waits in libuv's queue while matrix handles the end of the build. The handlers
  // used to go with the last child, in that same callback, and the signal with them: exit 0.
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('%s: matrix says it was interrupted and exits %i, not with the build code', (sig, code) => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const env = { ...process.env, NO_COLOR: '1', MATRIX_DOCKER: fake.bin, FAKE_BAKE_SLEEP: '0' };
    const bin = path.join(REPO_ROOT, 'bin', 'matrix.cjs');
    const plain = spawnSync(process.execPath, [bin, 'bake'], { cwd: dir, env, encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);
    const hook = path.join(REPO_ROOT, 'test', 'helpers', 'signal-at-close.cjs');
    const r = spawnSync(process.execPath, [bin, 'bake'], {
      cwd: dir,
      env: { ...env, NODE_OPTIONS: `--require ${hook}`, MATRIX_TEST_SIGNAL_CHILD: 'bake', MATRIX_TEST_SIGNAL: sig },
      encoding: 'utf8',
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(code);
    expect(r.stderr).toContain(`matrix: interrupted by ${sig}`);
    expect(events(fake.log).has('bake-end')).toBe(true);
  });
});

const straceOk = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

describe('a build that a full or read-only disk stopped', () => {
  it("exit 74 with the line and where to make room; --json says it too, beside bake's own exit code", async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const line = 'ERROR: failed to solve: failed to compute cache key: mount callback failed on /tmp/containerd-mount1: write /tmp/containerd-mount1/bin/x: no space left on device';
    const r = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: line });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toContain('matrix: the build stopped on a fault of this machine, not of the spec or the build: no space left on device (ENOSPC)');
    expect(r.stderr).toContain(`  ${line}`);
    expect(r.stderr).toContain('docker builder prune');
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 1, machineFault: { errno: 'ENOSPC', line } });
    // A build error stays one: exit 1, nothing said of the machine.
    const step = await matrix(['bake', '--json'], dir, {
      MATRIX_DOCKER: fake.bin,
      FAKE_BAKE_ERROR: 'ERROR: failed to solve: process "/bin/sh -c echo no space left on device; false" did not complete successfully: exit code: 1',
    });
    expect(step.status).toBe(1);
    expect(step.stderr).not.toContain('fault of this machine');
    expect(JSON.parse(step.stdout).machineFault).toBeUndefined();
    const ro = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: 'ERROR: failed to solve: error from receiver: mkdir /mnt/out/app: read-only file system' });
    expect(ro.status).toBe(74);
    expect(ro.stderr).toContain('read-only file system (EROFS)');
  });
});

// A bake that a signal ended, or a docker that could not run it, is said as that (src/adapters/exit.ts;
// POSIX 2.8.2 for a shell's 126, 127 and 128 + n; docker/cli cmd/docker/docker.go for 125 and for the 255
// of a plugin a signal ended). It was the bare exit code under a summary of "not finished" rows.
describe('a bake that did not end on its own terms', () => {
  it('killed by SIGKILL: exit 74 naming the signal and the OOM killer, never retried; --json says it too', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_BUILDER: 'default', FAKE_BAKE_KILL: 'KILL' });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toContain(`matrix: the build stopped on a fault of this machine, not of the spec or the build: \`${fake.bin} buildx bake\` was killed by SIGKILL`);
    expect(r.stderr).toMatch(/hint: SIGKILL is what the kernel's OOM killer sends/);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 137, dockerEnd: { kind: 'signal', signal: 'SIGKILL', exitCode: 137 } });
    expect(logged(fake.log, 'bake-args')).toHaveLength(1);
  });

  it.each([
    ['137 from a wrapper', '137', 74, 'exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL'],
    ['143 from a wrapper', '143', 74, 'exited 143 (128 + 15): it, or a program it ran, was killed by SIGTERM'],
    ['255 with nothing said (buildx killed under the docker CLI)', '255', 74, 'exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed by a signal'],
    ['127', '127', 2, 'exited 127: a command it runs was not found'],
    ['126', '126', 2, 'exited 126: a command it runs was found but cannot be executed'],
    ['125', '125', 2, 'exited 125: the docker CLI or buildx refused the command line before anything ran'],
  ])('%s: exit %s is said as what it is', async (_name, code, exit, words) => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_BUILDER: 'default', FAKE_BAKE_EXIT: code });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(words);
    expect(r.stderr).toContain(exit === 74 ? 'a fault of this machine' : 'a fault of the docker installation');
  });

  // A step's exit code 137 is the step's process killed (src/release/classify.ts stepSignal), in the
  // builder: a failed build, exit 1, never docker or buildx killed (exit 74).
  it('a build error stays one (exit 1, no fault of this machine) when its step exited 137; the step is said to be killed', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--retries', '0'], dir, {
      MATRIX_DOCKER: fake.bin,
      FAKE_BAKE_ERROR: 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 137',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('a fault of this machine');
    expect(r.stderr).not.toContain('`' + fake.bin + ' buildx bake` exited');
    // No progress lines: the last error line says it, of the one target built.
    expect(r.stderr).toContain(
      "matrix: the step that failed hello exited 137 = 128 + 9: the exit code of a process killed by SIGKILL (the step's command, or one it ran)\n  hint: SIGKILL is what the kernel's OOM killer sends",
    );
  });

  // The shape of buildx 0.13.1's plain progress for a step killed with SIGKILL (`RUN sh -c 'kill -9 $$'`
  // on this project's engine: `#N 0.812 Killed`, then `#N ERROR: process ... exit code: 137`), here for a
  // target that builds two platforms, whose steps BuildKit names with the platform (dockerfile2llb prefixCommand).
  it("a step killed in one platform's build: that row is FAILED with the signal (stepSignal in --json), the hint names the builder's memory", async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const step = '[linux/amd64->arm64 builder 4/5] RUN go build -o /out/hello .';
    const lines = [
      '#0 building with "default" instance using docker driver',
      `#9 ${step}`,
      '#9 12.41 Killed',
      '#9 ERROR: process "/bin/sh -c go build -o /out/hello ." did not complete successfully: exit code: 137',
      '------',
      ` > ${step}:`,
      '12.41 Killed',
      '------',
      'ERROR: failed to solve: process "/bin/sh -c go build -o /out/hello ." did not complete successfully: exit code: 137',
    ].join('\n');
    const r = await matrix(['bake', '--retries', '0', '--json'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: lines });
    expect(r.status, r.stderr).toBe(1);
    const rows = (JSON.parse(r.stdout) as { targets: { target: string; platform: string; status: string; stepSignal?: unknown }[] }).targets;
    expect(rows.map((t) => [t.platform, t.status, t.stepSignal])).toEqual([
      ['linux/amd64', 'cancelled', undefined],
      ['linux/arm64', 'failed', { exitCode: 137, signal: 'SIGKILL' }],
    ]);
    expect(r.stderr).toContain('matrix: the step that failed hello (linux/arm64) exited 137 = 128 + 9: the exit code of a process killed by SIGKILL');
    expect(r.stderr).toContain('--driver-opt memory=');
    expect(r.stderr).not.toContain('a fault of this machine');
    const human = await matrix(['bake', '--retries', '0'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: lines });
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/^hello +linux\/arm64 +FAILED /m);
    expect(human.stderr).toContain('matrix: the step that failed hello (linux/arm64) exited 137 = 128 + 9');
  });

  // After a build that pushed, the summary reads each pushed index (`docker buildx imagetools inspect
  // --raw`) for its platforms' digests: a read killed (Node's `signal`, a shell's 137) or one docker
  // could not run (127) left the digests out without a word, exit 0.
  it.each([
    ['killed', 'kill -KILL $$', 74, 'was killed by SIGKILL'],
    ['137 from a wrapper', 'exit 137', 74, 'exited 137 (128 + 9)'],
    ['127 from a wrapper', 'exit 127', 2, 'exited 127: a command it runs was not found'],
  ])('--push-by-digest, the read of the pushed index %s: the summary, then said as that (exit 74 or 2); the shard result is written', async (_name, line, exit, words) => {
    const dir = copySample('hello-go');
    const meta = JSON.stringify({ hello: { 'containerimage.digest': `sha256:${'d'.repeat(64)}`, 'image.name': 'localhost:5000/samples/hello-go' } });
    const { bin } = bakeRecorder(dir, [
      '  prev=; for a in "$@"; do [ "$prev" = --metadata-file ] && m="$a"; prev="$a"; done',
      `  printf '%s' '${meta}' > "$m"`,
      '  exit 0;;',
      `"buildx imagetools") ${line};;`,
    ]);
    const r = await matrix(['bake', '--push-by-digest', '--platform', 'linux/amd64', '--run-id', 'r1', '--shard-file', 'shard.json', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stdout).toMatch(/^hello\s+linux\/amd64\s+done/m);
    expect(r.stderr).toContain(
      `matrix: reading the pushed digests stopped on a fault of ${exit === 74 ? 'this machine' : 'the docker installation'}, not of the spec or the build: \`${bin} buildx imagetools inspect\` ${words}`,
    );
    expect(JSON.parse(readFileSync(path.join(dir, 'shard.json'), 'utf8'))).toMatchObject({ status: 'succeeded' });
    // --json says the end its exit code comes from, and when: bake itself ended with 0.
    const json = await matrix(['bake', '--json', '--push-by-digest', '--platform', 'linux/amd64', '--run-id', 'r1', '--shard-file', 'shard.json', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(json.status, json.stderr).toBe(exit);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 0, dockerEnd: { kind: exit === 74 ? 'signal' : 'not-found', during: 'reading the pushed digests' } });
  });

  // The real docker CLI with a buildx plugin (in DOCKER_CONFIG's cli-plugins) that kills itself once
  // bake starts: docker exits 255 and prints nothing (docker/cli cmd/docker/docker.go tryPluginRun).
  it.skipIf(!run)('buildx killed under the real docker CLI: exit 74 and the OOM killer named, not a bare 255', async () => {
    const dir = copySample('hello-go');
    const config = path.join(dir, '..', `${path.basename(dir)}-docker-config`);
    const plugins = path.join(config, 'cli-plugins');
    mkdirSync(plugins, { recursive: true });
    const inspect = "printf 'Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nPlatforms: linux/amd64, linux/arm64\\n'";
    writeFileSync(
      path.join(plugins, 'docker-buildx'),
      [
        '#!/bin/sh',
        'case "$1 $2" in',
        '"docker-cli-plugin-metadata ") echo \'{"SchemaVersion":"0.1.0","Vendor":"test","Version":"v0.13.1"}\'; exit 0;;',
        `"buildx inspect") ${inspect}; exit 0;;`,
        '"buildx version") echo "github.com/docker/buildx v0.13.1 test"; exit 0;;',
        '"buildx bake") echo \'#0 building with "default" instance using docker driver\' >&2; kill -KILL $$;;',
        'esac',
        'exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(path.join(plugins, 'docker-buildx'), 0o755);
    try {
      const r = await matrix(['bake'], dir, { MATRIX_DOCKER: 'docker', DOCKER_CONFIG: config });
      expect(r.status, r.stderr).toBe(74);
      expect(r.stderr).toContain('`docker buildx bake` exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed by a signal, most often SIGKILL');
      expect(r.stderr).toContain('OOM killer');
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });
});

// buildx writes its metadata file once a build succeeded, an entry for every target it built (docker/buildx
// commands/bake.go: writeMetadataFile after build.Build returned without error; measured with buildx 0.13.1:
// `docker buildx bake --metadata-file m.json` of two targets on the docker driver writes both, each with
// containerimage.digest and image.name). A `docker` that exits 0 without it (a wrapper, a shim, a stub) built
// nothing matrix can name: the rows were "done", and an older --metadata-file's image and digest were shown
// as this build's. Now they say "built, no metadata", with a warning; --push and --push-by-digest fail.
describe('a bake that ended with exit 0 but wrote no metadata for a target', () => {
  const D = (c: string) => `sha256:${c.repeat(64)}`;
  /** hello-go with a second service, `bin`, on linux/amd64 alone. */
  const twoTargets = async () => {
    const dir = copySample('hello-go');
    const file = path.join(dir, 'matrix.yaml');
    const spec = readFileSync(file, 'utf8').replace('platforms: [linux/amd64, linux/arm64]', 'platforms: [linux/amd64]');
    writeFileSync(file, `${spec}  bin:\n    context: .\n    template: go\n    with: { binary: hello }\n    tags: ["localhost:5000/samples/bin:1"]\n`);
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    return dir;
  };
  /** A bake that writes `meta` (JSON text) to its --metadata-file, or nothing when undefined. */
  const writer = (dir: string, meta: string | undefined) =>
    bakeRecorder(dir, [
      `  echo "$@" >> '${path.join(dir, 'bake-args.log')}'`,
      ...(meta === undefined ? [] : ['  prev=; for a in "$@"; do [ "$prev" = --metadata-file ] && m="$a"; prev="$a"; done', `  printf '%s' '${meta}' > "$m"`]),
      '  exit 0;;',
    ]);

  it('no file: exit 0, each row "built, no metadata" without image or digest, and a warning that says what buildx does', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^hello\s+linux\/amd64\s+built, no metadata\s+-\s+-\s+-$/m);
    expect(r.stdout).toContain('2/2 target platforms built in');
    expect(r.stdout).toContain(', 2 with no metadata.');
    expect(r.stderr).toContain(`matrix: warning: \`${fake.bin} buildx bake\` ended with exit 0 but wrote no metadata file: buildx writes one after every build that succeeds`);
    expect(r.stderr).toContain('The images and digests of hello are unknown');
    const json = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: fake.bin });
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout).targets as Record<string, unknown>[];
    expect(rows.map((t) => t.status)).toEqual(['no-metadata', 'no-metadata']);
    for (const t of rows) expect(Object.keys(t).filter((k) => /image|digest/i.test(k))).toEqual([]);
  });

  it("an entry for one target but not the other: that one's row has its image and digest, the other none", async () => {
    const dir = await twoTargets();
    const { bin } = writer(dir, JSON.stringify({ hello: { 'containerimage.digest': D('a'), 'image.name': 'localhost:5000/samples/hello-go:multiarch' } }));
    const r = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).targets;
    expect(rows).toEqual([
      expect.objectContaining({ target: 'hello', status: 'done', image: 'localhost:5000/samples/hello-go:multiarch', indexDigest: D('a') }),
      { target: 'bin', platform: 'linux/amd64', status: 'no-metadata' },
    ]);
    expect(r.stderr).toContain('wrote a metadata file without an entry for it');
    expect(r.stderr).toContain('The images and digests of bin are unknown');
  });

  it("the user's --metadata-file left as it was: its older image and digest are not shown as this build's", async () => {
    const dir = copySample('hello-go');
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ hello: { 'containerimage.digest': D('b'), 'image.name': 'old/image:1' } }));
    const { bin } = writer(dir, undefined);
    const r = await matrix(['bake', '--json', '--metadata-file', 'meta.json'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('old/image:1');
    expect(r.stdout).not.toContain(D('b'));
    expect(r.stderr).toContain('left the metadata file meta.json as it was before the build (its entries are not of this build)');
  });

  it('a file bake wrote for this build: nothing said, rows done (the entry of a target that exported no image has no digest, as buildx says)', async () => {
    const dir = await twoTargets();
    const { bin } = writer(dir, JSON.stringify({ hello: { 'containerimage.digest': D('c') }, bin: { 'buildx.build.ref': 'default/default/x' } }));
    const r = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).targets.map((t: { status: string }) => t.status)).toEqual(['done', 'done']);
    expect(r.stderr).not.toContain('no metadata');
  });

  it('--push-by-digest: a shard result without a digest is a failed run (exit 1), saying why; it exited 0', async () => {
    const dir = await twoTargets();
    const { bin } = writer(dir, JSON.stringify({ hello: { 'containerimage.digest': D('d') } }));
    const r = await matrix(['bake', '--push-by-digest', '--run-id', 'r1', '--shard-file', 'shard.json', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix: shard result failed: shard.json');
    expect(r.stderr).toContain('matrix: bake ended with exit 0 but reported no image digest for bin: the shard result is incomplete, and `matrix merge` refuses it');
    const shard = JSON.parse(readFileSync(path.join(dir, 'shard.json'), 'utf8'));
    expect(shard).toMatchObject({ status: 'failed', exitCode: 0, targets: { hello: { digest: D('d') } } });
    expect(shard.targets.bin.digest).toBeUndefined();
  });

  it.skipIf(!run)(
    '--push: nothing is published, and the reason says bake reported no digest (not "failed (exit 0)")',
    async () => {
      const dir = await twoTargets();
      const { bin } = bakeRecorder(dir, ['  for a in "$@"; do [ "$a" = --print ] && exec docker "$@"; done', '  exit 0;;']);
      const r = await matrix(['bake', '--push', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain('matrix bake: nothing was published:');
      expect(r.stderr).toContain('this run: the shard for linux/amd64 is incomplete: its bake ended with exit 0 but reported no image digest for hello, bin');
      expect(r.stderr).not.toContain('failed (exit 0');
      expect(r.stdout).toMatch(/^bin\s+linux\/amd64\s+built, no metadata/m);
    },
    60_000,
  );
});

// buildx 0.14+ fetches each target's provenance for a metadata file unless BUILDX_METADATA_PROVENANCE is
// disabled (docker/buildx build/provenance.go, docs/reference/buildx_bake.md); matrix's own file never needs it.
describe("bake's metadata provenance", () => {
  const provenanceOf = (log: string) => logged(log, 'bake-metadata-provenance')[0];

  it('is not fetched for the file matrix reads; the user who asks for the file, or sets the variable, gets what bake gives', async () => {
    const dir = copySample('hello-go');
    const own = fakeDocker(dir);
    expect((await matrix(['bake'], dir, { MATRIX_DOCKER: own.bin })).status).toBe(0);
    expect(provenanceOf(own.log)).toBe('disabled');
    const asked = fakeDocker(copySample('hello-go'));
    const r = await matrix(['bake', '--metadata-file', 'meta.json'], path.dirname(asked.log), { MATRIX_DOCKER: asked.bin });
    expect(r.status, r.stderr).toBe(0);
    expect(provenanceOf(asked.log)).toBe('unset');
    const set = fakeDocker(copySample('hello-go'));
    expect((await matrix(['bake'], path.dirname(set.log), { MATRIX_DOCKER: set.bin, BUILDX_METADATA_PROVENANCE: 'max' })).status).toBe(0);
    expect(provenanceOf(set.log)).toBe('max');
    // The command --dry-run prints has no metadata file, and says nothing of it.
    const dry = await matrix(['bake', '--dry-run'], dir, { MATRIX_DOCKER: own.bin });
    expect(dry.stdout).not.toContain('BUILDX_METADATA_PROVENANCE');
  });
});

describe('a build that failed on a snapshot the engine lost', () => {
  // src/release/classify.ts cacheFault: the line as this project's CI saw it (test/unit/release-classify.test.ts).
  const line =
    'ERROR: failed to solve: failed to commit cm7sno5k4vx763c94wwhdzo1c to 5qzyxfru9erqe7wczt3lvl6v6 during finalize: failed to stat active key during commit: snapshot cm7sno5k4vx763c94wwhdzo1c does not exist: not found';

  it("once retries are spent, it is the engine's fault, said with the way past it (exit 1); --json says it too", async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--json', '--retries', '1'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: line });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('matrix: retry 1 of 1 now: the engine lost a cached layer (snapshot cm7sno5k4vx763c94wwhdzo1c); building hello again without the cache');
    expect(r.stderr).toContain('matrix: the build failed on a fault of the engine, not of the spec or the build: its storage lists snapshot cm7sno5k4vx763c94wwhdzo1c');
    expect(r.stderr).toContain(`  ${line}`);
    // The retry already built hello without the cache: --no-cache is no way past it, the prune is.
    expect(r.stderr).toContain('hint: the build already ran without the cache; clear the build cache: `docker builder prune -af`');
    expect(r.stderr).not.toContain('run it again with --no-cache');
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 1, cacheFault: { snapshot: 'cm7sno5k4vx763c94wwhdzo1c', line } });
    expect(JSON.parse(r.stdout).machineFault).toBeUndefined();
    const bakes = logged(fake.log, 'bake-args');
    expect(bakes).toHaveLength(2);
    expect(bakes[0]).not.toContain('no-cache');
    expect(bakes[1]).toMatch(/ --set hello\.no-cache=true --$/);
  });

  it('the hint names --no-cache only when the build that failed took the layer from the cache', async () => {
    // --retries 0: the one build used the cache, so building without it is a way past.
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake', '--retries', '0'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: line });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('hint: run it again with --no-cache, which builds every layer anew, or clear the build cache: `docker builder prune -af`');
    expect(logged(fake.log, 'bake-args')).toHaveLength(1);
    // --no-cache given: the build that failed used no cache, so only the prune is named.
    const all = fakeDocker(copySample('hello-go'));
    const n = await matrix(['bake', '--no-cache', '--retries', '0'], path.dirname(all.log), { MATRIX_DOCKER: all.bin, FAKE_BAKE_ERROR: line });
    expect(n.status, n.stderr).toBe(1);
    expect(n.stderr).toContain('hint: the build already ran without the cache; clear the build cache: `docker builder prune -af`');
    expect(n.stderr).not.toContain('run it again with --no-cache');
  });

  it('a retry without the cache for the target that met it builds: exit 0, nothing said of the engine', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const r = await matrix(['bake'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR_ONCE: line });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('matrix: retry 1 of 2 now: the engine lost a cached layer');
    expect(r.stderr).not.toContain('fault of the engine');
    expect(logged(fake.log, 'bake-args').map((l) => l.includes('--set hello.no-cache=true'))).toEqual([false, true]);
    // --no-cache already: no per-target --set beside it.
    const all = fakeDocker(copySample('hello-go'));
    const n = await matrix(['bake', '--no-cache'], path.dirname(all.log), { MATRIX_DOCKER: all.bin, FAKE_BAKE_ERROR_ONCE: line });
    expect(n.status, n.stderr).toBe(0);
    expect(logged(all.log, 'bake-args').map((l) => [l.includes(' --no-cache '), l.includes('.no-cache=true')])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it('a step that prints the words is a build error, and nothing is said of the engine', async () => {
    const dir = copySample('hello-go');
    const fake = fakeDocker(dir);
    const step = 'ERROR: failed to solve: process "/bin/sh -c echo snapshot x does not exist: not found; false" did not complete successfully: exit code: 1';
    const r = await matrix(['bake', '--json'], dir, { MATRIX_DOCKER: fake.bin, FAKE_BAKE_ERROR: step });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('fault of the engine');
    expect(JSON.parse(r.stdout).cacheFault).toBeUndefined();
  });
});

describe.skipIf(!straceOk && process.env.CI !== 'true')('matrix bake starts its git reads before it compiles', () => {
  it("HEAD's commit, branch, tags and remote are asked for before the spec is read; the targets' revisions after", () => {
    expect(straceOk, 'strace is missing: apt-get install -y strace').toBe(true);
    const dir = copySample('monorepo');
    expect(spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'gen', '-q'], { cwd: dir }).status).toBe(0);
    rmSync(path.join(dir, '.git'), { recursive: true });
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    git('add', '-A');
    expect(git('commit', '-q', '-m', 'sample').status).toBe(0);
    const log = path.join(dir, '..', `${path.basename(dir)}-strace.log`);
    const r = spawnSync('strace', ['-f', '-qq', '-v', '-s', '64', '-o', log, '-e', 'trace=execve,openat', process.execPath, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake', '--dry-run'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(log, 'utf8').split('\n');
    rmSync(log);
    const first = (re: RegExp) => lines.findIndex((l) => re.test(l) && !/ENOENT/.test(l));
    const specRead = first(/openat\(.*\/matrix\.yaml", O_RDONLY/);
    // The rest of bake is read after git's shell started (scripts/build.mjs TIERS: bakestart, then bake).
    const restOfBake = first(/openat\(.*\/dist\/pack-bake\.cjs", O_RDONLY/);
    // (each git command starts with matrix's own `-c` settings, src/adapters/git.ts; the
    // reads of HEAD and the remote run one after another in one shell, src/adapters/git.ts gitBatch)
    const headRead = first(/execve\("[^"]*git", \["git", (?:"-c", "[^"]*", )*"log", "-1", "--format=%H %ct%n%D"|execve\("\/bin\/sh", \["\/bin\/sh", "-c", .*"log", "-1", "--format=%H %ct%n%D"/);
    const revision = first(/execve\("[^"]*git", \["git", (?:"-c", "[^"]*", )*"log", "-1", "--format=%H %ct", (?:"[0-9a-f]{40}", )?"--"/);
    expect(specRead).toBeGreaterThan(0);
    expect(headRead).toBeGreaterThan(0);
    expect(headRead).toBeLessThan(specRead);
    expect(restOfBake).toBeGreaterThan(0);
    expect(headRead).toBeLessThan(restOfBake);
    // A target's revision needs its paths, which only the compile knows.
    expect(revision).toBeGreaterThan(specRead);
    // At the same commit, the next run reads the revisions it kept (src/repro/revision-store.ts).
    const again = spawnSync('strace', ['-f', '-qq', '-s', '64', '-o', log, '-e', 'trace=execve', process.execPath, path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake', '--dry-run'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    const execs = readFileSync(log, 'utf8');
    rmSync(log);
    expect(execs).not.toMatch(/execve\("[^"]*git", \["git", (?:"-c", "[^"]*", )*"log", "-1", "--format=%H %ct", "[0-9a-f]{40}", "--"/);
    expect(execs).toMatch(/execve\("[^"]*git", \["git", (?:"-c", "[^"]*", )*"log", "-1", "--format=%H %ct%n%D"/);
    // MATRIX_CACHE=0: nothing kept, nothing read back.
    const kept = path.join(dir, '.git', 'matrix-revisions.json');
    writeFileSync(kept, readFileSync(kept, 'utf8').replace(/"([0-9a-f]{40}) (\d+)"/g, '"$1 1"'));
    const off = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'matrix.cjs'), 'bake', '--dry-run'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', MATRIX_CACHE: '0' },
    });
    expect(off.stdout).toBe(r.stdout);
  }, 60_000);
});

// README, Service table, `cache`: "A `local` cache without `dir` lives outside the repository, in a
// directory of its own under `MATRIX_CACHE_DIR`, else `$XDG_CACHE_HOME/matrix`, else
// `~/.cache/matrix`" (the schema's `cache.dir` description says the same).
describe('a local cache without dir', () => {
  const repo = () => {
    const dir = copySample('hello-go');
    writeFileSync(path.join(dir, 'matrix.yaml'), `${readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')}    cache: local\n`);
    return dir;
  };
  const dest = async (dir: string, env: Record<string, string>) => {
    expect((await matrix(['gen', '-q'], dir)).status).toBe(0);
    const r = await matrix(['bake', '--dry-run'], dir, { MATRIX_DOCKER: '/bin/true', ...env });
    expect(r.status, r.stderr).toBe(0);
    return /hello\.cache-to=type=local,dest=(\S+?)\/hello\//.exec(r.stdout)?.[1];
  };

  it('lives under MATRIX_CACHE_DIR, else $XDG_CACHE_HOME/matrix, else ~/.cache/matrix, one directory per repository', async () => {
    const dir = repo();
    const home = path.join(dir, '..', 'home');
    expect(await dest(dir, { MATRIX_CACHE_DIR: '/c/m', XDG_CACHE_HOME: '/c/x', HOME: home })).toMatch(/^\/c\/m\/[0-9a-f]{12}$/);
    expect(await dest(dir, { MATRIX_CACHE_DIR: '', XDG_CACHE_HOME: '/c/x', HOME: home })).toMatch(/^\/c\/x\/matrix\/[0-9a-f]{12}$/);
    expect(await dest(dir, { MATRIX_CACHE_DIR: '', XDG_CACHE_HOME: '', HOME: home })).toBe(`${home}/.cache/matrix/${(await dest(dir, { MATRIX_CACHE_DIR: '/c/m' }))!.slice('/c/m/'.length)}`);
    const schema = readFileSync(path.join(REPO_ROOT, 'schemas', 'matrix.schema.json'), 'utf8');
    for (const text of [schema, readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')]) for (const v of ['MATRIX_CACHE_DIR', '$XDG_CACHE_HOME/matrix', '~/.cache/matrix']) expect(text).toContain(v);
  });
});

/**
 * A fake docker in `dir` for `matrix bake` runs that record what reaches bake:
 * `buildx inspect` answers a running default builder on the docker driver,
 * `buildx bake` runs `bake` (shell lines ending in `;;`), anything else fails.
 * `log` is where those lines are expected to write bake's arguments.
 */
function bakeRecorder(dir: string, bake: readonly string[]): { bin: string; log: string } {
  const bin = path.join(dir, 'fake-docker');
  const driver = "printf 'Name:   default\\nDriver: docker\\n\\nNodes:\\nName:      default\\nEndpoint:  default\\nStatus:    running\\nPlatforms: linux/amd64, linux/arm64\\n'";
  writeFileSync(bin, ['#!/bin/sh', 'case "$1 $2" in', `"buildx inspect") ${driver}; exit 0;;`, '"buildx bake")', ...bake, 'esac', 'exit 1', ''].join('\n'));
  chmodSync(bin, 0o755);
  return { bin, log: path.join(dir, 'bake-args.log') };
}

// The docker calls bake makes before it builds, when they did not end on their own terms
// (src/adapters/exit.ts): Node's `signal`; a shell's 128 + n, 127 and 126 (POSIX, Shell Command Language,
// 2.8.2 Exit Status for Commands); docker's 125 and its exit 255 with nothing said for a buildx plugin a
// signal ended (docker/cli cmd/docker/docker.go tryPluginRun). `bake --print` for the -f files' targets
// and for the tags an atomic --push publishes was "docker buildx bake --print failed: " with nothing after
// the colon and a hint to check the -f files (exit 2 for every kind); a killed `bake --help` was "this
// buildx's bake takes no --allow" (exit 0).
describe("bake's own reads (bake --print, bake --help) that did not end on their own terms", () => {
  const EXTRA = 'target "extra" {\n  context = "."\n  dockerfile-inline = "FROM scratch"\n}\n';
  /** hello-go with extra.hcl, and a docker whose `buildx bake` runs `line` (a shell line) when its arguments hold `flag`, else exits 0. */
  const setup = (flag: string, line: string) => {
    const dir = copySample('hello-go');
    writeFileSync(path.join(dir, 'extra.hcl'), EXTRA);
    const { bin } = bakeRecorder(dir, [`  case " $* " in *" ${flag} "*) ${line};; esac`, '  exit 0;;']);
    return { dir, bin };
  };
  const KINDS = [
    ['killed, as Node reports it', 'kill -KILL $$', 74, 'this machine', 'was killed by SIGKILL'],
    ['137 from a wrapper shell', 'exit 137', 74, 'this machine', 'exited 137 (128 + 9): it, or a program it ran, was killed by SIGKILL'],
    ['255 and nothing said', 'exit 255', 74, 'this machine', 'exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed'],
    ['127 from a wrapper', 'exit 127', 2, 'the docker installation', 'exited 127: a command it runs was not found'],
    ['126 from a wrapper', 'exit 126', 2, 'the docker installation', 'exited 126: a command it runs was found but cannot be executed'],
    ['125: docker refused the command line', 'exit 125', 2, 'the docker installation', 'exited 125: the docker CLI or buildx refused the command line'],
  ] as const;

  it.each(KINDS)('-f files, bake --print %s: said as that (exit 74 or 2), not a bake-print error of the files', async (_name, line, exit, whose, words) => {
    const { dir, bin } = setup('--print', line);
    const r = await matrix(['bake', '-f', 'extra.hcl', 'extra', '--dry-run'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: reading the targets of the -f files stopped on a fault of ${whose}, not of the spec or the build: \`${bin} buildx bake --print\` ${words}`);
    expect(r.stderr).not.toContain('[bake-print]');
    expect(r.stdout).toBe('');
  });

  it('-f files, bake --print failing on its own terms stays a bake-print error naming the files (exit 2)', async () => {
    const { dir, bin } = setup('--print', 'echo "ERROR: extra.hcl:1: invalid block" >&2; exit 1');
    const r = await matrix(['bake', '-f', 'extra.hcl', 'extra', '--dry-run'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('docker buildx bake --print failed: ERROR: extra.hcl:1: invalid block [bake-print]');
    expect(r.stderr).toContain('hint: check the -f files (extra.hcl)');
  });

  it.each([KINDS[0], KINDS[2], KINDS[3]])('--push, bake --print of the tags to publish %s: said as that (exit 74 or 2), nothing built', async (_name, line, exit, whose, words) => {
    const { dir, bin } = setup('--print', line);
    const r = await matrix(['bake', '--push', '--platform', 'linux/amd64'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: reading the tags to publish stopped on a fault of ${whose}, not of the spec or the build: \`${bin} buildx bake --print\` ${words}`);
    expect(r.stderr).not.toContain('[bake-print]');
    expect(r.stdout).toBe('');
  });

  it.each(KINDS)('--allow, bake --help %s: said as that (exit 74 or 2), not "takes no --allow"', async (_name, line, exit, whose, words) => {
    const { dir, bin } = setup('--help', line);
    const r = await matrix(['bake', '--allow', 'network.host', '--dry-run'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stderr).toContain(`matrix: asking buildx whether its bake takes --allow stopped on a fault of ${whose}, not of the spec or the build: \`${bin} buildx bake --help\` ${words}`);
    expect(r.stderr).not.toContain('takes no --allow');
    expect(r.stdout).toBe('');
  });

  // A shard on the docker driver drops the engine's local temporary tag after the build (src/release/local-tags.ts):
  // `docker image rm` killed was a warning with nothing after the colon, and exit 0.
  it.each([
    ['killed', 'kill -KILL $$', 74, 'this machine', 'was killed by SIGKILL'],
    ['127 from a wrapper', 'exit 127', 2, 'the docker installation', 'exited 127: a command it runs was not found'],
  ])('--push-by-digest, docker image rm of the local temporary tag %s: the summary, then said as that (exit 74 or 2)', async (_name, line, exit, whose, words) => {
    const dir = copySample('hello-go');
    const meta = JSON.stringify({ hello: { 'containerimage.digest': `sha256:${'d'.repeat(64)}`, 'image.name': 'localhost:5000/samples/hello-go' } });
    const { bin } = bakeRecorder(dir, [
      '  prev=; for a in "$@"; do [ "$prev" = --metadata-file ] && m="$a"; prev="$a"; done',
      `  printf '%s' '${meta}' > "$m"`,
      '  exit 0;;',
      `"buildx imagetools") echo '{"schemaVersion":2,"manifests":[]}'; exit 0;;`,
      `"image rm") ${line};;`,
    ]);
    const r = await matrix(['bake', '--push-by-digest', '--platform', 'linux/amd64', '--run-id', 'r1', '--shard-file', 'shard.json', '--retries', '0'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(exit);
    expect(r.stdout).toMatch(/^hello\s+linux\/amd64\s+done/m);
    expect(r.stderr).toMatch(new RegExp(`matrix: left the local temporary tag localhost:5000/samples/hello-go:matrix-tmp-\\S+: \`${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} image rm\``));
    expect(r.stderr).toContain(`matrix: tidying the engine's local temporary tags stopped on a fault of ${whose}, not of the spec or the build: \`${bin} image rm\` ${words}`);
    expect(JSON.parse(readFileSync(path.join(dir, 'shard.json'), 'utf8'))).toMatchObject({ status: 'succeeded' });
  });

  it('--allow, a bake --help that lists no --allow (buildx before 0.20) stays a warning, and the command is printed', async () => {
    const { dir, bin } = setup('--help', "echo 'Usage:  docker buildx bake [OPTIONS] [TARGET...]'; exit 0");
    const r = await matrix(['bake', '--allow', 'network.host', '--dry-run'], dir, { MATRIX_DOCKER: bin });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("matrix: warning: this buildx's bake takes no --allow (its --help lists none): network.host not passed on");
    expect(r.stdout).toContain(`${bin} buildx bake -f docker-bake.hcl`);
  });
});
