// How `matrix bake` behaves around failures, signals and a broken engine.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, docker, fixtures, matrix, matrixAsync, requireEngine, runId } from './engine.js';
import { conformanceCases } from './conformance.js';

const hasEngine = requireEngine();

/** A repository whose one service copies one file into a `FROM scratch` image (no base image to pull), generated. */
function oneFileRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(path.join(dir, 'copy.hbs'), '{{!--\ndescription: one file\n--}}\nFROM scratch\nCOPY README /README\n');
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app', 'README'), 'context\n');
  writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nplatforms: [linux/amd64]\nservices:\n  app: { context: app, template: copy.hbs }\n');
  expect(matrix(dir, ['gen']).status).toBe(0);
  return dir;
}

/** A repository with a spec whose services use a tiny user template on the toolchain fixture. */
function scratchRepo(services: Record<string, string>, baseImage?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(
    path.join(dir, 'step.hbs'),
    [
      '{{!--',
      'description: runs one shell step on the build platform',
      'params:',
      '  script:',
      '    description: shell to run',
      '    required: true',
      '--}}',
      'ARG BASE_IMAGE=debian:bookworm-slim',
      'FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS work',
      'ARG TARGETARCH',
      'RUN sh -c {{sh with.script}} && echo "$TARGETARCH" > /out',
      'FROM scratch',
      'COPY --from=work /out /out',
      '',
    ].join('\n'),
  );
  const lines = ['version: 1', 'platforms: [linux/amd64, linux/arm64]', 'services:'];
  for (const [name, script] of Object.entries(services)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'README'), name);
    lines.push(`  ${name}:`, `    context: ${name}`, '    template: step.hbs', '    with:', `      script: ${JSON.stringify(script)}`);
    lines.push(`    tags: ["localhost:5000/e2e/${name}:${runId()}"]`);
    if (baseImage) lines.push(`    args: { BASE_IMAGE: ${JSON.stringify(baseImage)} }`);
  }
  writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
  const gen = matrix(dir, ['gen']);
  if (gen.status !== 0) throw new Error(gen.stderr);
  return dir;
}

describe.skipIf(!hasEngine)('matrix bake on a real engine', () => {
  it('names the failed target and platform, and still reports the others', async () => {
    const dir = scratchRepo({
      good: 'echo fine',
      bad: 'if [ "$TARGETARCH" = arm64 ]; then echo "compiler exploded" >&2; exit 7; fi',
    });
    const r = await matrixAsync(dir, ['bake', '--json', '--no-cache', '--set', `*.args.BASE_IMAGE=${fixtures().toolchain}`]);
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.stdout) as { targets: { target: string; platform: string; status: string; error?: string[] }[] };
    const bad = summary.targets.find((t) => t.target === 'bad' && t.platform === 'linux/arm64')!;
    expect(bad.status).toBe('failed');
    expect(bad.error!.join('\n')).toMatch(/compiler exploded|exit code: 7/);
    // Every target x platform has a row, whatever happened to it.
    expect(summary.targets.map((t) => `${t.target} ${t.platform}`).sort()).toEqual(['bad linux/amd64', 'bad linux/arm64', 'good linux/amd64', 'good linux/arm64']);
    // --no-cache again: after a bake in which one target failed while another exported, BuildKit on the
    // docker driver can keep a cache record of a layer whose snapshot it lost, and a cached bake then
    // fails on that instead (src/release/classify.ts cacheFault; this project's CI, 2026-12-06).
    const human = await matrixAsync(dir, ['bake', '--no-cache', '--set', `*.args.BASE_IMAGE=${fixtures().toolchain}`]);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/bad \(linux\/arm64\) failed:/);
  });

  // A target on one platform: bake prefixes no target when it builds one, BuildKit no platform when one is
  // requested, so the failing step of an unnamed stage is `[1/1] COPY ...`, or `[b 1/1] COPY ...` among
  // several targets (buildx build/build.go multiTarget, util/progress/multiwriter.go addPrefix; BuildKit
  // dockerfile2llb/convert.go prefixCommand). `FROM scratch`: no image to pull, a build of a second or two.
  it('a failed target on one platform is failed with its cause, alone (`[1/1]`) or with others (`[b 1/1]`)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const lines = ['version: 1', 'platforms: [linux/amd64]', 'services:'];
    for (const [name, copy] of [
      ['a', 'f'],
      ['b', 'missing'],
    ]) {
      mkdirSync(path.join(dir, name!));
      writeFileSync(path.join(dir, name!, 'f'), name!);
      writeFileSync(path.join(dir, name!, 'Dockerfile'), `FROM scratch\nCOPY ${copy} /f\n`);
      lines.push(`  ${name}:`, `    context: ${name}`, `    dockerfile: ${name}/Dockerfile`, `    tags: ["localhost:5000/e2e/${name}:${runId()}"]`);
    }
    // c is built from b (a named context `target:b`), so bake never starts it when b fails.
    mkdirSync(path.join(dir, 'c'));
    writeFileSync(path.join(dir, 'c', 'f'), 'c');
    writeFileSync(path.join(dir, 'c', 'Dockerfile'), 'FROM b\nCOPY f /g\n');
    lines.push('  c:', '    context: c', '    dockerfile: c/Dockerfile', '    depends_on: [b]', `    tags: ["localhost:5000/e2e/c:${runId()}"]`);
    writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
    expect(matrix(dir, ['gen']).status).toBe(0);
    type Summary = { targets: { target: string; platform: string; status: string; error?: string[] }[] };
    const alone = await matrixAsync(dir, ['bake', 'b', '--json']);
    expect(alone.status).toBe(1);
    const one = (JSON.parse(alone.stdout) as Summary).targets;
    expect(one.map((t) => `${t.target} ${t.platform} ${t.status}`)).toEqual(['b linux/amd64 failed']);
    expect(one[0]!.error!.join('\n')).toMatch(/"\/missing": not found/);
    const both = await matrixAsync(dir, ['bake', 'a', 'b', '--json']);
    expect(both.status).toBe(1);
    const two = (JSON.parse(both.stdout) as Summary).targets;
    expect(two.find((t) => t.target === 'b')).toMatchObject({ platform: 'linux/amd64', status: 'failed', error: expect.arrayContaining([expect.stringMatching(/"\/missing": not found/)]) });
    expect(two.find((t) => t.target === 'a')!.status).not.toBe('failed');
    // What a failed target kept from being built says so, and names it.
    const chain = await matrixAsync(dir, ['bake', 'b', 'c', '--json']);
    expect(chain.status).toBe(1);
    const rows = (JSON.parse(chain.stdout) as { targets: { target: string; status: string; blockedBy?: string }[] }).targets;
    expect(rows.map((t) => [t.target, t.status, t.blockedBy])).toEqual([
      ['b', 'failed', undefined],
      ['c', 'cancelled', 'b'],
    ]);
    const human = await matrixAsync(dir, ['bake', 'b', 'c']);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/^c +linux\/amd64 +not built /m);
    expect(human.stdout).toContain('c: not built, as it is built from b, which failed.');
  });

  // A step whose process a signal ended: BuildKit says only `exit code: 137` (128 + SIGKILL's 9, what the
  // OOM killer sends) or 139 (SIGSEGV), and matrix names the signal (src/release/classify.ts stepSignal;
  // the lines of buildx 0.13.1 and 0.22.0 are in test/unit/step-signal.test.ts). Still a failed build,
  // exit 1. The runtime fixture is in the local registry: no pull.
  it('a step killed by SIGKILL (137) or ending 139: FAILED, the signal named with its hint, exit 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const lines = ['version: 1', 'platforms: [linux/amd64]', 'services:'];
    for (const [name, run] of [
      ['oom', "sh -c 'kill -9 $$'"],
      ['crash', 'exit 139'],
    ]) {
      mkdirSync(path.join(dir, name!));
      writeFileSync(path.join(dir, name!, 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN ${run}\n`);
      lines.push(`  ${name}:`, `    context: ${name}`, `    dockerfile: ${name}/Dockerfile`, `    tags: ["localhost:5000/e2e/${name}:${runId()}"]`);
    }
    writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
    expect(matrix(dir, ['gen']).status).toBe(0);
    const killed = await matrixAsync(dir, ['bake', 'oom', '--json']);
    expect(killed.status, killed.stderr.slice(-2000)).toBe(1);
    const rows = (JSON.parse(killed.stdout) as { targets: { target: string; status: string; error?: string[]; stepSignal?: unknown }[] }).targets;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: 'oom', status: 'failed', stepSignal: { exitCode: 137, signal: 'SIGKILL' } });
    expect(rows[0]!.error!.at(-1)).toMatch(/did not complete successfully: exit code: 137$/);
    expect(killed.stderr).toContain('matrix: the step that failed oom (linux/amd64) exited 137 = 128 + 9: the exit code of a process killed by SIGKILL');
    expect(killed.stderr).toContain("hint: SIGKILL is what the kernel's OOM killer sends");
    expect(killed.stderr).not.toContain('a fault of this machine');
    const crashed = await matrixAsync(dir, ['bake', 'crash']);
    expect(crashed.status, crashed.stderr.slice(-2000)).toBe(1);
    expect(crashed.stdout).toMatch(/^crash +linux\/amd64 +FAILED /m);
    expect(crashed.stderr).toContain('matrix: the step that failed crash (linux/amd64) exited 139 = 128 + 11: the exit code of a process killed by SIGSEGV');
  });

  // Two targets whose steps fail at about the same moment, each for its own reason, while a third is
  // still running: bake cancels the third, and each of the two is FAILED with its own line and signal. A
  // cancelled step's error ends in the context's cause (moby/buildkit executor/runcexecutor/executor.go
  // exitError) and buildx prints it as `#N CANCELED` (util/progress/progressui/printer.go); a step's own
  // failure ends at its exit code (src/bake/progress.ts ownFailure; the logs of buildx 0.13.1 and 0.22.0 are
  // in test/helpers/bake-logs.ts). The two steps end at one instant, the same wall-clock time for both (one
  // kernel's clock: the steps' containers and the test), a few seconds after the bake starts, while the third
  // step waits for a later one; bake may still cancel one before BuildKit has taken its end (the context is
  // checked as the exit is handled, exitError): 1 run in 15 on an engine with overlayfs. So every run's summary
  // is checked against what the progress said of each step, with the signal of each that failed, in up to three
  // runs, until one in which both failed (the first, in 4 runs of 4 with the containerd image store here).
  // (The steps met in a cache mount before, `sharing=shared` with one id, each waiting until the other's file
  // was there. On the docker driver with the containerd image store each saw only its own file: each waited out
  // its 2,000 turns, about 70 s a bake, and the third step, `sleep 5`, had ended long before.)
  // Its bakes run without blocking the worker (matrixAsync): a bake may take over 60 s on a busy machine, vitest's
  // limit for a call from the worker to its main process, which then failed the run.
  it('targets that fail at once: each FAILED with its own signal, the cancelled one not finished; --keep-going builds only that one again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const lines = ['version: 1', 'platforms: [linux/amd64]', 'services:'];
    for (const name of ['oom', 'crash', 'slow']) {
      mkdirSync(path.join(dir, name));
      lines.push(`  ${name}:`, `    context: ${name}`, `    dockerfile: ${name}/Dockerfile`, `    tags: ["localhost:5000/e2e/${name}:${runId()}"]`);
    }
    writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
    // Until an instant (nanoseconds since the epoch): short sleeps, then a busy wait for the last 50 ms. `STEP=name`
    // names the step in bake's progress.
    const until = (at: bigint) => `while [ $(( ${at} - $(date +%s%N) )) -gt 50000000 ]; do sleep 0.02; done; until [ "$(date +%s%N)" -ge ${at} ]; do :; done`;
    const steps = () => {
      const at = BigInt(Date.now() + 10_000) * 1_000_000n;
      writeFileSync(path.join(dir, 'oom', 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN STEP=oom sh -c '${until(at)}; kill -9 $$'\n`);
      writeFileSync(path.join(dir, 'crash', 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN STEP=crash sh -c '${until(at)}; exit 139'\n`);
      writeFileSync(path.join(dir, 'slow', 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN STEP=slow sh -c '${until(at + 10_000_000_000n)}'\n`);
    };
    steps();
    expect(matrix(dir, ['gen']).status).toBe(0);
    const bake = (args: string[]) => {
      steps();
      return matrixAsync(dir, ['bake', '--no-cache', ...args]);
    };
    // Per round of bake (`#0 building with ...`), how each target's RUN ended: ERROR or CANCELED. The target
    // is read from the step's text (`STEP=oom`): a round of one target names none (`[2/2] RUN ...`).
    const rounds = (stderr: string) =>
      stderr
        .split(/^#0 building with .*$/m)
        .slice(1)
        .map((round) => {
          const ended: Record<string, string> = {};
          for (const [, n, text] of round.matchAll(/^#(\d+) \[[^\]]*2\/2\] RUN (.*)$/gm)) {
            const target = /^STEP=(\w+) /.exec(text!)?.[1] ?? text;
            const end = new RegExp(`^#${n} (ERROR|CANCELED)\\b`, 'm').exec(round)?.[1];
            if (end) ended[target!] = end;
          }
          return ended;
        });
    type Row = { target: string; status: string; error?: string[]; stepSignal?: unknown };
    // What each failed target's row and message say: its own signal and line.
    const SIGNALS: Record<string, { exitCode: number; signal: string }> = { oom: { exitCode: 137, signal: 'SIGKILL' }, crash: { exitCode: 139, signal: 'SIGSEGV' } };
    let both = false;
    for (let i = 0; i < 3 && !both; i++) {
      const r = await bake(['--json']);
      expect(r.status, r.stderr.slice(-2000)).toBe(1);
      const [ended] = rounds(r.stderr);
      const rows = (JSON.parse(r.stdout) as { targets: Row[] }).targets;
      // Whatever the timing: a step's own ERROR is its target's failure, a CANCELED step leaves it unfinished.
      for (const row of rows) expect([row.target, row.status]).toEqual([row.target, ended![row.target] === 'ERROR' ? 'failed' : 'cancelled']);
      // The step that ended first always fails its target; slow, sleeping, is always cancelled.
      expect(rows.filter((x) => x.status === 'failed').length).toBeGreaterThan(0);
      expect(rows.find((x) => x.target === 'slow')).toMatchObject({ status: 'cancelled' });
      expect(rows.find((x) => x.target === 'slow')).not.toHaveProperty('error');
      for (const row of rows.filter((x) => x.status === 'failed')) {
        const want = SIGNALS[row.target]!;
        expect(row).toMatchObject({ stepSignal: want });
        expect(row.error!.at(-1)).toMatch(new RegExp(`did not complete successfully: exit code: ${want.exitCode}$`));
        expect(r.stderr).toContain(`exited ${want.exitCode} = 128 + ${want.exitCode - 128}`);
        expect(r.stderr).toMatch(new RegExp(`matrix: the steps? that failed [^\n]*${row.target} \\(linux/amd64\\)`));
      }
      for (const row of rows.filter((x) => x.status === 'cancelled')) expect(row).not.toHaveProperty('stepSignal');
      both = ended!.oom === 'ERROR' && ended!.crash === 'ERROR';
    }
    // Both steps' own ends in one round: with overlayfs (buildx 0.13.1 and 0.22.0: test/helpers/bake-logs.ts, read by
    // test/unit/bake-progress.test.ts) and with the containerd image store here; bake's cancel may still reach the
    // second step first on another engine, so it is not required.
    if (!both) console.log('targets that fail at once: no round in which both steps ended on their own on this engine');
    // --keep-going: a target whose step failed on its own is not built again; what bake cancelled is.
    const k = await bake(['--keep-going']);
    expect(k.status, k.stderr.slice(-2000)).toBe(1);
    const seen = new Set<string>();
    for (const ended of rounds(k.stderr)) {
      for (const t of Object.keys(ended)) expect(seen.has(t), `${t} built again after its own failure`).toBe(false);
      for (const [t, end] of Object.entries(ended)) if (end === 'ERROR') seen.add(t);
    }
    expect([...seen].sort()).toEqual(['crash', 'oom']);
    expect(k.stdout).toMatch(/^oom +linux\/amd64 +FAILED /m);
    expect(k.stdout).toMatch(/^crash +linux\/amd64 +FAILED /m);
    expect(k.stdout).toMatch(/^slow +linux\/amd64 +done /m);
  });

  // A target whose image bake exported before another target's step failed (its `exporting to image` DONE in
  // the progress): buildx writes no metadata after a failed bake, so its digest is unknown, but it is built, and
  // the summary must not say "not finished" (README: that is for what bake stopped). --keep-going builds it
  // again from the cache, and bake's metadata of that round has it.
  it('a target exported before another failed is "built, no metadata", not "not finished"; --keep-going builds it again: done', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const lines = ['version: 1', 'platforms: [linux/amd64]', 'services:'];
    for (const name of ['quick', 'late']) {
      mkdirSync(path.join(dir, name));
      lines.push(`  ${name}:`, `    context: ${name}`, `    dockerfile: ${name}/Dockerfile`, `    tags: ["localhost:5000/e2e/${name}:${runId()}"]`);
    }
    writeFileSync(path.join(dir, 'matrix.yaml'), lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'quick', 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN echo ${runId()} > /built\n`);
    // Long enough for quick's export on a busy machine; then a failure of its own.
    writeFileSync(path.join(dir, 'late', 'Dockerfile'), `FROM ${fixtures().runtime}\nRUN sleep 15; exit 3\n`);
    expect(matrix(dir, ['gen']).status).toBe(0);
    type Row = { target: string; status: string; digest?: string; exportedBeforeFailure?: boolean };
    const r = await matrixAsync(dir, ['bake', '--no-cache', '--json']);
    expect(r.status, r.stderr.slice(-2000)).toBe(1);
    // quick's export ended before late failed: its progress says so.
    const exportStep = /^#(\d+) \[quick\] exporting to image$/m.exec(r.stderr)?.[1];
    expect(exportStep, r.stderr.slice(-3000)).toBeDefined();
    expect(r.stderr).toMatch(new RegExp(`^#${exportStep} DONE`, 'm'));
    const rows = (JSON.parse(r.stdout) as { targets: Row[] }).targets;
    expect(rows.find((x) => x.target === 'late')).toMatchObject({ status: 'failed' });
    expect(rows.find((x) => x.target === 'quick')).toEqual(expect.objectContaining({ status: 'no-metadata', exportedBeforeFailure: true }));
    expect(rows.find((x) => x.target === 'quick')).not.toHaveProperty('digest');
    const text = await matrixAsync(dir, ['bake', '--keep-going']);
    expect(text.status, text.stderr.slice(-2000)).toBe(1);
    expect(text.stdout).toMatch(/^quick +linux\/amd64 +done /m);
    expect(text.stdout).toMatch(/^late +linux\/amd64 +FAILED /m);
    expect(text.stdout).not.toContain('not finished');
  }, 240_000);

  // FACTS.md: buildx cancels on SIGINT/SIGTERM to its process group; matrix forwards SIGINT, SIGTERM
  // and SIGHUP to the group (src/exec.ts) and exits 128+signal (POSIX shells' convention, 129/130/143).
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s cancels the build: exit %i before the step ends, no docker or buildx left, temp dir removed',
    async (sig, expected) => {
      const dir = scratchRepo({ slow: `sleep 300 # ${runId()} ${sig}` });
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-tmpdir-'));
      const child = spawn(process.execPath, [CLI, 'bake', '--no-cache', '--set', `*.args.BASE_IMAGE=${fixtures().toolchain}`], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      // Wait until the long step is really running.
      const deadline = Date.now() + 120_000;
      while (!/RUN .*sleep 300/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(err).toMatch(/RUN .*sleep 300/);
      expect(readdirSync(tmp).filter((n) => n.startsWith('matrix-bake-'))).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000));
      child.kill(sig);
      const code = await closed;
      expect(code).toBe(expected);
      // Cancelled, not waited out: BuildKit never reports the 300-second step done.
      const step = /^#(\d+) \[[^\]]*\] RUN .*sleep 300/m.exec(err)?.[1];
      expect(step, err).toBeDefined();
      expect(err).not.toMatch(new RegExp(`^#${step} DONE`, 'm'));
      const left = spawnSync('pgrep', ['-af', `buildx.*${dir}|docker-buildx bake`], { encoding: 'utf8' }).stdout;
      expect(left.split('\n').filter((l) => l.includes('bake') && !l.includes('pgrep'))).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    },
    180_000,
  );

  it('doctor passes on this engine, base images included', () => {
    const dir = scratchRepo({ one: 'true' }, fixtures().toolchain);
    const r = matrix(dir, ['doctor', '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(out.ok).toBe(true);
    expect(out.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['docker CLI', 'Docker daemon', 'buildx', 'builder', 'multi-platform output', `base image ${fixtures().toolchain}`]));
  });

  it('a base image that cannot be pulled: doctor names it with the build arg to point elsewhere, and bake ends with the same', async () => {
    const missing = `localhost:5000/matrix-e2e/no-such-base:${runId()}`;
    const dir = scratchRepo({ one: 'true' }, missing);
    const doctor = matrix(dir, ['doctor']);
    expect(doctor.status, doctor.stdout).toBe(1);
    expect(doctor.stdout).toContain(`FAIL base image ${missing}: the registry has no such image or tag; needed by one`);
    expect(doctor.stdout).toContain(`--set '*.args.BASE_IMAGE=MIRROR/${missing}'`);
    expect(doctor.stdout).not.toContain('Ready to build');
    const bake = await matrixAsync(dir, ['bake']);
    expect(bake.status).toBe(1);
    expect(bake.stderr).toContain(`matrix: base image ${missing} could not be pulled: the registry has no such image or tag (needed by one)`);
    expect(bake.stderr).toContain('defaults.args');
  });

  it('doctor and bake fail with the fix when the daemon is unreachable', async () => {
    const dir = scratchRepo({ one: 'true' });
    const env = { DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` };
    const doctor = matrix(dir, ['doctor'], env);
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL Docker daemon/);
    expect(doctor.stdout).toMatch(/fix: DOCKER_HOST=.* does not answer/);
    const bake = await matrixAsync(dir, ['bake'], env);
    expect(bake.status).toBe(2);
    expect(bake.stderr).toMatch(/fix:/);
    expect(bake.stderr).not.toMatch(/ERROR: /);
  });

  // A full disk is the machine's fault, said so (exit 74, as every other one): here TMPDIR, where
  // buildx writes the metadata file after the build itself went through. (Mounting needs root, as CI is.)
  it('a full TMPDIR: the build stops on a fault of this machine, exit 74, with where to make room', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-bake-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(path.join(dir, 'app', 'README'), 'context\n');
    writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\nCOPY README /README\n');
    writeFileSync(path.join(dir, 'matrix.yaml'), 'version: 1\nservices:\n  app: { context: app, dockerfile: app/Dockerfile, platforms: [linux/amd64] }\n');
    expect(matrix(dir, ['gen']).status).toBe(0);
    const full = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
    expect(mounted.status, mounted.stderr).toBe(0);
    try {
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(full, 'fill')}`, 'bs=4k'], { encoding: 'utf8' });
      const r = await matrixAsync(dir, ['bake'], { TMPDIR: full });
      expect(r.status, r.stderr.slice(-2000)).toBe(74);
      expect(r.stderr).toMatch(/^matrix: the build stopped on a fault of this machine, not of the spec or the build: no space left on device \(ENOSPC\)$/m);
      expect(r.stderr).toContain(`hint: free space in ${full} (TMPDIR`);
    } finally {
      spawnSync('umount', [full]);
    }
  });

  // buildx prints `#0 building with "NAME" instance using DRIVER driver` once it loaded the builder's
  // nodes (buildx commands/bake.go, progress.WithDesc); a build that pushes nothing takes that line
  // as the engine checks' answer, so no `buildx inspect` runs beside it (src/cli/bake.ts buildBesideChecks).
  it('a build that pushes nothing: the real buildx names its builder first, and no buildx inspect runs beside it', async () => {
    const dir = oneFileRepo();
    const log = path.join(dir, 'calls.log');
    const wrapper = path.join(dir, 'docker-wrapper');
    writeFileSync(wrapper, `#!/bin/sh\necho "$1 $2" >> '${log}'\nexec docker "$@"\n`, { mode: 0o755 });
    const r = await matrixAsync(dir, ['bake'], { MATRIX_DOCKER: wrapper });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^#0 building with ".*" instance using [\w.-]+ driver$/m);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toContain('buildx bake');
    expect(calls).not.toContain('buildx inspect');
  });

  // matrix runs the buildx plugin itself, as the docker CLI would (src/adapters/buildx-plugin.ts).
  // Which plugin that is must be the CLI's own answer (`docker info`: ClientInfo.Plugins), and the
  // plugin must get what the CLI hands it. A config directory of its own holds a plugin that logs
  // and runs the real one; the CLI finds it there first, and so must matrix.
  it('the buildx plugin matrix runs itself is the one the docker CLI names, and it builds with what the CLI would hand it', async () => {
    const pluginOf = (env: Record<string, string | undefined>) => {
      const r = spawnSync('docker', ['info', '--format', '{{json .ClientInfo.Plugins}}'], { encoding: 'utf8', env, timeout: 60_000 });
      const plugins = JSON.parse(r.stdout) as { Name: string; Path: string }[];
      return plugins.find((p) => p.Name === 'buildx')?.Path;
    };
    const real = pluginOf(process.env);
    expect(real, 'docker info names no buildx plugin').toBeTruthy();
    const dir = oneFileRepo();
    // Without a config directory of its own: the same plugin as docker's.
    const doctor = JSON.parse(matrix(dir, ['doctor', '--json']).stdout) as { checks: { name: string; detail: string }[] };
    expect(doctor.checks.find((c) => c.name === 'buildx')?.detail).toContain(`, ${real} (matrix runs it itself`);
    const config = path.join(dir, '.docker-config');
    const log = path.join(dir, 'plugin.log');
    mkdirSync(path.join(config, 'cli-plugins'), { recursive: true });
    const logging = path.join(config, 'cli-plugins', 'docker-buildx');
    writeFileSync(logging, `#!/bin/sh\necho "\${DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND-unset} $1 $2" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    expect(pluginOf({ ...process.env, DOCKER_CONFIG: config })).toBe(logging);
    const withConfig = JSON.parse(matrix(dir, ['doctor', '--json'], { DOCKER_CONFIG: config }).stdout) as { checks: { name: string; detail: string }[] };
    expect(withConfig.checks.find((c) => c.name === 'buildx')?.detail).toContain(`, ${logging} (matrix runs it itself`);
    writeFileSync(log, '');
    const r = await matrixAsync(dir, ['bake'], { DOCKER_CONFIG: config });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^#0 building with ".*" instance using [\w.-]+ driver$/m);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['docker buildx bake']);
  });

  it('refuses to build when the generated files are stale', async () => {
    const dir = scratchRepo({ one: 'true' });
    writeFileSync(path.join(dir, 'one', 'Dockerfile'), '# Code generated by matrix from ../matrix.yaml; DO NOT EDIT.\nFROM scratch\n');
    const r = await matrixAsync(dir, ['bake']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/one\/Dockerfile \(stale\)/);
    expect(r.stderr).toMatch(/matrix gen/);
  });

  it("the summary shows each platform's own manifest digest, and the index digest once per target", async () => {
    // An image of one file FROM scratch: no base image, nothing runs under QEMU.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-digest-'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    writeFileSync(path.join(dir, 'copy.hbs'), '{{!--\ndescription: one file\n--}}\nFROM scratch\nCOPY README /README\n');
    const tag = `localhost:5000/e2e/digest:${runId()}`;
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(path.join(dir, 'app', 'README'), runId());
    writeFileSync(path.join(dir, 'matrix.yaml'), `version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  app:\n    context: app\n    template: copy.hbs\n    tags: ["${tag}"]\n`);
    expect(matrix(dir, ['gen']).status).toBe(0);
    const r = await matrixAsync(dir, ['bake', '--push', '--json', '--metadata-file', 'meta.json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { targets: { platform: string; image?: string; digest?: string; indexDigest?: string }[] }).targets;
    // The image each row was published as: the final tag its digests were read from.
    expect(rows.map((row) => row.image)).toEqual([tag, tag]);
    // The index: what bake's metadata reports (https://docs.docker.com/build/bake/reference/, --metadata-file)
    // and what the tag now points at in the registry.
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Record<string, Record<string, string>>;
    const index = meta.app!['containerimage.digest']!;
    const raw = docker(['buildx', 'imagetools', 'inspect', '--raw', tag]);
    expect(raw.status, raw.stderr).toBe(0);
    expect(`sha256:${createHash('sha256').update(raw.stdout.replace(/\n$/, '')).digest('hex')}`).toBe(index);
    // Each platform: its own manifest in that index (attestation manifests are not platforms).
    const manifests = (JSON.parse(raw.stdout) as { manifests: { digest: string; platform: { os: string; architecture: string } }[] }).manifests;
    const own = (p: string) => manifests.find((m) => `${m.platform.os}/${m.platform.architecture}` === p)!.digest;
    expect(rows.map((row) => [row.platform, row.digest, row.indexDigest])).toEqual([
      ['linux/amd64', own('linux/amd64'), index],
      ['linux/arm64', own('linux/arm64'), index],
    ]);
    expect(own('linux/amd64')).not.toBe(own('linux/arm64'));
    // The table: one row per platform with its digest, the index once.
    const human = await matrixAsync(dir, ['bake', '--push']);
    expect(human.status, human.stderr).toBe(0);
    const lines = human.stdout.split('\n').filter((l) => l.startsWith('app '));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(tag);
    expect(lines[0]).toMatch(/^app\s+linux\/amd64\s+done.*sha256:[0-9a-f]{12}$/);
    expect(lines[1]).toMatch(/^app\s+linux\/arm64\s+done.*sha256:[0-9a-f]{12}$/);
    expect(lines[2]).toMatch(/^app\s+\(index\)\s+.*sha256:[0-9a-f]{12}$/);
    expect(new Set(lines.map((l) => l.slice(-19))).size).toBe(3);
  });
});

// Conformance with metadata-action, HCL and bake's exporters (issue 13): test/engine/conformance.ts.
conformanceCases(hasEngine);
