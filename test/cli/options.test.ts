// The command table (src/cli/options.ts) and its rules, driven in process
// through main(argv, io): repeated and empty options, positionals after list
// options, unknown targets and platforms, bake -f, --version.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  COMMAND_NAMES,
  COMMANDS,
  GLOBAL_OPTIONS,
  commandArgs,
  flagName,
  optionsOf,
  parseArgs,
  plainInvocation,
  repeatedOptions,
  UsageError,
  type CommandName,
  type CommandSpec,
} from '../../src/cli/options.js';
import { parse as yargsParse } from '../../src/cli/usage.js';
import { commandLinePlatform, hostPlatform, localPlatform } from '../../src/platforms.js';
import { copySample, hashTree, REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: { NO_COLOR: '1', ...env }, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const monorepo = copySample('monorepo');
const all = Object.values(COMMANDS) as CommandSpec[];

/** The `--set` words of the `docker buildx bake` command that --dry-run prints. */
function dryRunTargets(stdout: string): { names: string[]; platforms: string[]; files: string[] } {
  const words = stdout.trim().split(' ');
  const names = words.slice(words.indexOf('--') + 1);
  const platforms = words.filter((w) => /\.platform=/.test(w));
  const files = words.flatMap((w, i) => (w === '-f' ? [words[i + 1]!] : []));
  return { names, platforms, files };
}

describe('the command table', () => {
  it('names every option once per command, with a flag yargs can take', () => {
    for (const c of all) {
      const flags = optionsOf(c)
        .flatMap(([k, o]) => [flagName(k), o.alias])
        .filter(Boolean);
      expect(new Set(flags).size, c.name).toBe(flags.length);
      for (const [key] of optionsOf(c)) expect(flagName(key)).toMatch(/^[a-z][a-z-]*$/);
    }
  });

  it('every single-valued option of every command given twice is a usage error, exit 2, naming the option', async () => {
    for (const c of all) {
      for (const [key, o] of optionsOf(c)) {
        if (o.repeatable || o.list) continue;
        const flag = `--${flagName(key)}`;
        const argv = o.type === 'boolean' ? [flag, flag] : [flag, o.choices?.[0] ?? '1', flag, o.choices?.[0] ?? '1'];
        expect(repeatedOptions(c, argv), `${c.name} ${flag}`).toEqual([key]);
        expect(() => parseArgs(c, { [key]: o.type === 'boolean' ? true : '1' }, argv)).toThrow(UsageError);
      }
    }
    // Through main, for a string, a switch and an alias.
    for (const argv of [
      ['plan', '--spec', 'matrix.yaml', '--spec', 'matrix.yaml'],
      ['plan', '-s', 'matrix.yaml', '--spec=matrix.yaml'],
      ['bake', '--dry-run', '--builder', 'a', '--builder', 'b'],
      ['bake', '--dry-run', '--push', '--no-push'],
      ['gen', '--check', '--check'],
      ['graph', '--format', 'dot', '--format', 'mermaid'],
      ['init', '--dry-run', '--depth', '1', '--depth', '2'],
    ]) {
      const r = await run(argv, monorepo);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^matrix: error in `matrix [a-z-]+`: --[a-z-]+ was given more than once; it is not repeatable/);
      expect(r.stderr).not.toMatch(/internal error|,.*,/);
    }
  });

  it('an empty value is a usage error (exit 2) for every option that takes a value', async () => {
    for (const c of all) {
      for (const [key, o] of optionsOf(c)) {
        if (o.type === 'boolean') continue;
        expect(() => parseArgs(c, { [key]: o.repeatable || o.list ? [''] : '' }), `${c.name} --${flagName(key)}`).toThrow(/needs a value|expected one of/);
      }
    }
    for (const argv of [
      ['plan', '--spec', ''],
      ['bake', '--dry-run', '--builder='],
      ['bake', '--dry-run', '--platform', ''],
      ['bake', '--dry-run', '--platform', 'linux/amd64,'],
      ['bake', '--dry-run', '--set', ''],
      ['bake', '--dry-run', '-f', ''],
      ['bake', '--dry-run', ''],
      ['ci-matrix', '--target', ' '],
      ['verify', '--dry-run', '--against='],
      ['init', '--dry-run', '--registry', ''],
      ['plan', '--spec'],
    ]) {
      const r = await run(argv, monorepo);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/needs a value/);
    }
  });

  it('a number option takes whole numbers only', async () => {
    for (const v of ['x', '-1', '1.5', '']) {
      const r = await run(['init', '--dry-run', `--depth=${v}`], monorepo);
      expect(r.code, v).toBe(2);
      expect(r.stderr).toMatch(/^matrix: error in `matrix init`: --depth (takes a whole number|needs a value)/);
    }
  });

  it("types each command's options from the table: defaults, lists split at commas, repeatable values kept whole", () => {
    // Platforms without spaces: docker/buildx util/platformutil/parse.go Parse splits a list at commas and
    // trims nothing, and containerd's Parse refuses a space (platforms_test.go TestParseSelectorInvalid "linux /arm").
    const a = parseArgs(COMMANDS.bake, { targets: ['api,web', 'admin'], platform: ['linux/amd64,linux/arm64', 'linux/arm/v7'], set: ['a.args.X=1,2'] });
    expect(a.targets).toEqual(['api', 'web', 'admin']);
    expect(a.platform).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    expect(a.set).toEqual(['a.args.X=1,2']);
    expect(a.file).toEqual([]);
    expect(a.dryRun).toBe(false);
    expect(a.cache).toBe(true);
    expect('push' in a).toBe(false);
    expect(parseArgs(COMMANDS.init, { depth: '3' }).depth).toBe(3);
    expect(() => parseArgs(COMMANDS['ci-matrix'], { by: 'os' })).toThrow(/expected one of platform, target/);
    expect(Object.keys(GLOBAL_OPTIONS)).toEqual(['spec', 'color']);
  });
});

describe('targets and options in any order (like docker buildx bake)', () => {
  // buildx: `docker buildx bake [OPTIONS] [TARGET...]`, flags and targets in any order
  // (https://docs.docker.com/reference/cli/docker/buildx/bake/).
  it.each([
    [['bake', '--dry-run', '--platform', 'linux/arm64', 'api']],
    [['bake', '--dry-run', 'api', '--platform', 'linux/arm64']],
    [['bake', '--platform=linux/arm64', 'api', '--dry-run']],
    [['bake', '--set', 'api.args.X=1', 'api', '--dry-run', '--platform', 'linux/arm64']],
  ])('%j builds api alone, for linux/arm64', async (argv) => {
    const r = await run(argv, monorepo);
    expect(r.code, r.stderr).toBe(0);
    const t = dryRunTargets(r.stdout);
    expect(t.names).toEqual(['api']);
    expect(t.platforms).toEqual(['api.platform=linux/arm64']);
  });

  it('repeated --platform adds up, and still leaves the targets alone', async () => {
    const r = await run(['bake', '--dry-run', '--platform', 'linux/arm64', 'api', '--platform', 'linux/amd64', 'web'], monorepo);
    expect(r.code, r.stderr).toBe(0);
    expect(dryRunTargets(r.stdout).names.sort()).toEqual(['api', 'web']);
  });

  it('an unknown target is an error with a did-you-mean, for bake, verify, ci-matrix and merge; nothing is built', async () => {
    for (const argv of [
      ['bake', '--dry-run', '--platform', 'linux/arm64', 'apj'],
      ['bake', '--dry-run', 'api', 'apj'],
      ['verify', '--dry-run', 'apj'],
      ['ci-matrix', '--target', 'apj'],
      ['merge', '--dry-run', '--target', 'apj', 'shard.json'],
    ]) {
      if (argv[0] === 'merge') writeFileSync(path.join(monorepo, 'shard.json'), '{}');
      const r = await run(argv, monorepo);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no target or group named `apj`.*\[unknown-target\]\n\s+hint: did you mean `api`/);
    }
  });

  it('a platform that no selected target builds is an error, never a silent subset', async () => {
    const r = await run(['bake', '--dry-run', '--platform', 'linux/amd64,linux/arm65'], monorepo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--platform linux\/arm65: no selected target builds it \[unknown-platform\]\n\s+hint: did you mean `linux\/arm64`/);
  });
});

// buildx normalises `--platform` (docker/buildx util/platformutil/parse.go Parse:
// containerd/platforms Parse, then Normalize), so `--platform linux/aarch64` builds
// linux/arm64. matrix maps command-line platforms the same way (src/platforms.ts
// canonicalPlatform), where the spec keeps one spelling per platform.
describe('command-line platforms by their canonical names', () => {
  it('parseArgs maps aliases of --platform and --build-platform to the canonical name', () => {
    expect(parseArgs(COMMANDS.bake, { platform: ['linux/aarch64,linux/arm', 'linux/arm64/v8', 'x86_64'] }).platform).toEqual(['linux/arm64', 'linux/arm/v7', 'linux/arm64', 'linux/amd64']);
    for (const c of ['test', 'verify', 'ci-matrix', 'ci-contexts'] as const)
      expect(commandArgs(c, { platform: ['linux/aarch64'], target: ['api'], files: ['s.json'] }).platform, c).toEqual(['linux/arm64']);
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'linux/aarch64' }).buildPlatform).toBe('linux/arm64');
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'Linux/X86_64' }).buildPlatform).toBe('linux/amd64');
  });

  // `macos` was here: containerd's Parse reads an OS alone as that OS on the machine's architecture
  // (platforms.go Parse `case 1`, isKnownOS; platforms_test.go TestParseSelector "macOS"), and buildx's
  // util/platformutil/parse.go Parse with it, so it is no usage error (see 'an OS alone' below).
  it.each([
    ['linux/z80', /unknown platform `linux\/z80`/],
    // A variant amd64 does not have: containerd/platforms compare.go platformVector ranks amd64 vN, Go's GOAMD64 is v1-v4.
    ['linux/amd64/foo', /unknown platform `linux\/amd64\/foo`: `foo` is no variant of amd64/],
    ['arm/v7', /`arm\/v7` has no OS/],
    ['linux/*', /unknown platform/],
  ])('--build-platform %s is a usage error, exit 2', async (p, pattern) => {
    expect(() => parseArgs(COMMANDS.plan, { buildPlatform: p })).toThrow(UsageError);
    const r = await run(['plan', '--no-cache', '--build-platform', p], monorepo);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
  });

  it('plan --build-platform linux/aarch64 plans as on linux/arm64: arm64 native', async () => {
    const alias = await run(['plan', '--json', '--no-cache', '--build-platform', 'linux/aarch64'], monorepo);
    const canonical = await run(['plan', '--json', '--no-cache', '--build-platform', 'linux/arm64'], monorepo);
    expect(alias.code, alias.stderr).toBe(0);
    expect(alias.stdout).toBe(canonical.stdout);
    const plan = JSON.parse(alias.stdout) as { buildPlatform: string; targets: { platforms: { platform: string; mode: string }[] }[] };
    expect(plan.buildPlatform).toBe('linux/arm64');
    expect(plan.targets[0]!.platforms.find((p) => p.platform === 'linux/arm64')!.mode).toBe('native');
  });

  it('bake --platform linux/aarch64 builds linux/arm64, as --platform linux/arm64 does', async () => {
    const alias = await run(['bake', '--dry-run', '--platform', 'linux/aarch64', 'api'], monorepo);
    const canonical = await run(['bake', '--dry-run', '--platform', 'linux/arm64', 'api'], monorepo);
    expect(alias.code, alias.stderr).toBe(0);
    expect(alias.stdout).toBe(canonical.stdout);
    expect(dryRunTargets(alias.stdout).platforms).toEqual(['api.platform=linux/arm64']);
  });

  it('bake, test and verify --platform linux/arm: linux/arm/v7, which no target builds; the hint lists what they build, not another CPU', async () => {
    for (const cmd of [['bake', '--dry-run'], ['test'], ['verify', '--dry-run']]) {
      const r = await run([...cmd, '--platform', 'linux/arm'], monorepo);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--platform linux\/arm\/v7: no selected target builds it \[unknown-platform\]\n\s+hint: the selected targets build linux\/amd64, linux\/arm64/);
      expect(r.stderr).not.toMatch(/did you mean/);
    }
  });

  // docker/buildx util/platformutil/parse.go `parse`: `local` (strings.EqualFold) is
  // containerd's DefaultSpec, the platform of the machine the command runs on.
  it("`local` on the command line is this machine's platform, as buildx reads it (any case)", async () => {
    const here = localPlatform()!;
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'local' }).buildPlatform).toBe(here);
    expect(parseArgs(COMMANDS.bake, { platform: ['LOCAL,linux/aarch64', 'Local'] }).platform).toEqual([here, 'linux/arm64', here]);
    for (const c of ['test', 'verify', 'ci-matrix', 'ci-contexts'] as const) expect(commandArgs(c, { platform: ['local'], target: ['api'], files: ['s.json'] }).platform, c).toEqual([here]);
    const plan = await run(['plan', '--json', '--no-cache', '--build-platform', 'local'], monorepo);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toBe((await run(['plan', '--json', '--no-cache', '--build-platform', here], monorepo)).stdout);
    const bake = await run(['bake', '--dry-run', '--platform', 'local', 'api'], monorepo);
    const named = await run(['bake', '--dry-run', '--platform', here, 'api'], monorepo);
    expect([bake.code, bake.stdout, bake.stderr]).toEqual([named.code, named.stdout, named.stderr]);
    const runner = await run(['ci-matrix', '--runner', 'local=my-runner', '--platform', 'local'], monorepo);
    const namedRunner = await run(['ci-matrix', '--runner', `${here}=my-runner`, '--platform', here], monorepo);
    expect([runner.code, runner.stdout, runner.stderr]).toEqual([namedRunner.code, namedRunner.stdout, namedRunner.stderr]);
  });

  // containerd's Parse reads an OS alone as that OS on the machine's architecture (platforms.go Parse `case 1`,
  // isKnownOS: runtime.GOARCH; platforms_test.go TestParseSelector "linux", "macOS", "windows"), and buildx's
  // util/platformutil/parse.go Parse reads `--platform` with it: like `local`, this machine's architecture.
  it('an OS alone on the command line is that OS on this machine, for --platform, --build-platform and --runner', async () => {
    const linux = commandLinePlatform('linux')!;
    expect(linux).toBe(hostPlatform());
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'linux' }).buildPlatform).toBe(linux);
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'macos' }).buildPlatform).toBe(commandLinePlatform('darwin'));
    expect(parseArgs(COMMANDS.plan, { buildPlatform: 'macos' }).buildPlatform).toMatch(/^darwin\//);
    expect(parseArgs(COMMANDS.bake, { platform: ['Linux,windows', 'macOS'] }).platform).toEqual([linux, commandLinePlatform('windows'), commandLinePlatform('darwin')]);
    for (const c of ['test', 'verify', 'ci-matrix', 'ci-contexts'] as const) expect(commandArgs(c, { platform: ['linux'], target: ['api'], files: ['s.json'] }).platform, c).toEqual([linux]);
    const plan = await run(['plan', '--json', '--no-cache', '--build-platform', 'linux'], monorepo);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toBe((await run(['plan', '--json', '--no-cache', '--build-platform', linux], monorepo)).stdout);
    const bake = await run(['bake', '--dry-run', '--platform', 'linux', 'api'], monorepo);
    const named = await run(['bake', '--dry-run', '--platform', linux, 'api'], monorepo);
    expect([bake.code, bake.stdout, bake.stderr]).toEqual([named.code, named.stdout, named.stderr]);
    const runner = await run(['ci-matrix', '--runner', 'linux=my-runner', '--platform', 'linux'], monorepo);
    const namedRunner = await run(['ci-matrix', '--runner', `${linux}=my-runner`, '--platform', linux], monorepo);
    expect([runner.code, runner.stdout, runner.stderr]).toEqual([namedRunner.code, namedRunner.stdout, namedRunner.stderr]);
  });

  // containerd's osRe reads an OS version and features (platforms.go; platforms_test.go TestParseSelector
  // "windows(10.0.17763)", "linux(+gpu)"); matrix does not support them, and says so rather than "no target builds it".
  it.each([
    ['bake', '--dry-run', '--platform'],
    ['test', '--platform'],
    ['verify', '--dry-run', '--platform'],
    ['ci-matrix', '--platform'],
    ['plan', '--no-cache', '--build-platform'],
  ])('%s ... %s windows(10.0.17763)/amd64: OS versions are not supported, exit 2', async (...argv) => {
    for (const [p, bare] of [
      ['windows(10.0.17763)/amd64', 'windows/amd64'],
      ['linux(+gpu)/amd64', 'linux/amd64'],
      ['windows()/amd64', 'windows/amd64'],
    ] as const) {
      const r = await run([...argv, p], monorepo);
      expect(r.code, `${argv.join(' ')} ${p}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${argv.at(-1)}: \`${p}\`: OS versions and features in a platform are not supported; write ${bare}`);
      expect(r.stderr).not.toMatch(/no (selected )?target builds it|did you mean/);
    }
  });

  it('--runner with an OS version: the same message, not "no target builds"', async () => {
    const r = await run(['ci-matrix', '--runner', 'linux(+gpu)/amd64=gpu-runner'], monorepo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`linux(+gpu)/amd64`: OS versions and features in a platform are not supported; write linux/amd64 [invalid-runner]');
  });

  // buildx's util/platformutil/parse.go Parse splits `--platform` at commas and trims nothing; containerd's
  // Parse then refuses the space (platforms.go osRe; platforms_test.go TestParseSelectorInvalid "linux /arm").
  it.each([
    [['bake', '--dry-run', '--platform', 'linux/amd64, linux/arm64'], ' linux/arm64', 'linux/arm64'],
    [['bake', '--dry-run', '--platform', ' linux/amd64'], ' linux/amd64', 'linux/amd64'],
    [['ci-matrix', '--platform', 'linux/amd64 ,linux/arm64'], 'linux/amd64 ', 'linux/amd64'],
    [['plan', '--no-cache', '--build-platform', 'linux/arm64 '], 'linux/arm64 ', 'linux/arm64'],
    [['ci-matrix', '--runner', ' linux/arm64=my-runner'], ' linux/arm64', 'linux/arm64'],
  ])('%j: spaces in a platform are an error with a hint, as buildx refuses them', async (argv, part, bare) => {
    const r = await run(argv, monorepo);
    expect(r.code, argv.join(' ')).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`\`${part}\` contains a space: buildx splits a list of platforms at commas only and refuses a platform with spaces`);
    expect(r.stderr).toContain(`drop the spaces: \`${bare}\``);
    expect(() => parseArgs(COMMANDS.bake, { platform: ['linux/amd64, linux/arm64'] })).toThrow(UsageError);
  });

  it('selectTargets maps the platforms it is given, naming the alias and its canonical name', async () => {
    const { selectTargets } = await import('../../src/bake/command.js');
    const { compileSpec } = await import('../helpers/spec.js');
    const c = compileSpec('version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  api: {context: api, template: go}\n', { 'api/go.mod': 'module x\n' }, { validateOnly: true });
    expect(selectTargets(c.spec!, [], ['linux/aarch64']).targets.map((t) => t.platforms)).toEqual([['linux/arm64']]);
    expect(() => selectTargets(c.spec!, [], ['linux/arm'])).toThrow(/--platform linux\/arm \(linux\/arm\/v7\): no selected target builds it/);
  });
});

describe('bake -f FILE', () => {
  // bake reads its files in order and later ones win
  // (https://docs.docker.com/build/bake/reference/#file-format, "Merging and inheritance");
  // docker/metadata-action's `bake-file` output is meant to be passed this way.
  it('passes extra definition files after the generated one, in the order given', async () => {
    const dir = copySample('monorepo');
    writeFileSync(path.join(dir, 'meta.json'), '{"target":{"docker-metadata-action":{"tags":["x"]}}}');
    mkdirSync(path.join(dir, 'ci'));
    writeFileSync(path.join(dir, 'ci', 'labels.hcl'), 'target "docker-metadata-action" {}\n');
    writeFileSync(path.join(dir, '-odd.json'), '{}');
    const r = await run(['bake', '--dry-run', 'api', '-f', 'meta.json', '--file', 'ci/labels.hcl', '--file=-odd.json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(dryRunTargets(r.stdout).files).toEqual(['docker-bake.hcl', 'meta.json', 'ci/labels.hcl', './-odd.json']);
  });

  // buildx reads `cwd://FILE` as the local FILE (docker/buildx commands/bake.go readBakeFiles), and
  // docker/metadata-action's README ("Bake definition") passes its file as `cwd://${{ steps.meta.outputs.bake-file }}`.
  it('cwd://FILE is FILE, relative to where matrix runs or absolute', async () => {
    const dir = copySample('monorepo');
    writeFileSync(path.join(dir, 'meta.json'), '{"target":{"docker-metadata-action":{"tags":["x"]}}}');
    const outside = path.join(tempDir(), 'docker-metadata-action-bake.json');
    writeFileSync(outside, '{"target":{"docker-metadata-action":{"tags":["y"]}}}');
    const r = await run(['bake', '--dry-run', 'api', '-f', 'cwd://meta.json', '-f', `cwd://${outside}`], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(dryRunTargets(r.stdout).files).toEqual(['docker-bake.hcl', 'meta.json', outside]);
    const missing = await run(['bake', '--dry-run', '-f', 'cwd://nope.json'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('-f cwd://nope.json: no such file [bake-file]');
  });

  it('a missing file, a directory or a FIFO is an error, exit 2', async () => {
    const dir = copySample('monorepo');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    mkdirSync(path.join(dir, 'adir'));
    for (const [f, why] of [
      ['nope.json', 'no such file'],
      ['adir', 'not a regular file'],
      ['fifo', 'not a regular file'],
    ] as const) {
      const r = await run(['bake', '--dry-run', '-f', f], dir);
      expect(r.code, f).toBe(2);
      expect(r.stderr).toContain(`-f ${f}: ${why} [bake-file]`);
    }
  });
});

describe('--version', () => {
  it('prints the version of package.json', async () => {
    const r = await run(['--version'], monorepo);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });
});

describe('usage errors change nothing', () => {
  it('leaves the tree as it was', async () => {
    const dir = copySample('monorepo');
    const before = hashTree(dir);
    for (const argv of [
      ['gen', '--spec', ''],
      ['gen', '-q', '-q'],
      ['init', '--registry', ''],
    ])
      expect((await run(argv, dir)).code).toBe(2);
    expect(hashTree(dir)).toBe(before);
  });
});

describe("the table's own reader (plainInvocation) and yargs read a plain invocation the same", () => {
  /** What the table's rules make of what was parsed: the typed options, or the usage error. */
  const outcome = (name: CommandName, raw: Readonly<Record<string, unknown>>, argv: readonly string[]) => {
    try {
      return { args: commandArgs(name, raw, argv) };
    } catch (e) {
      if (e instanceof UsageError) return { usage: e.message, hint: e.hint };
      throw e;
    }
  };

  /** Reads argv both ways; when the table reads it, yargs must select the same command and give the same options or usage error. */
  async function same(argv: string[]): Promise<boolean> {
    const plain = plainInvocation(argv);
    if (!plain) return false;
    const y = await yargsParse(argv, 100);
    expect('error' in y ? y.error.message : undefined, argv.join(' ')).toBeUndefined();
    const selected = 'selected' in y ? y.selected : undefined;
    expect(selected?.command, argv.join(' ')).toBe(plain.command);
    expect(outcome(plain.command, plain.raw, argv), argv.join(' ')).toEqual(outcome(selected!.command, selected!.args, argv));
    return true;
  }

  /** Words a user could type after a command: every option of every command, its forms, values, positionals, and what only yargs reads. */
  function wordsFor(c: CommandSpec): string[] {
    const flags = all.flatMap((x) => optionsOf(x)).flatMap(([k, o]) => [`--${flagName(k)}`, `--no-${flagName(k)}`, `--${k}`, ...(o.alias ? [`-${o.alias}`] : []), ...(o.choices ?? [])]);
    const values = ['', 'a', 'api', 'api,web', ' ', '1', '007', '-1', 'x=y', 'true', 'linux/arm64', 'linux/amd64,linux/arm64', 'up', 'rm', 'matrix.yaml', 'a b'];
    const valued = optionsOf(c).flatMap(([k]) => values.slice(0, 6).map((v) => `--${flagName(k)}=${v}`));
    return [...new Set([...flags, ...values, ...valued, '--', '-h', '--help', '--version', '-qs', '-', '--spec=', '--set.a=1'])];
  }

  // One test per command (the same runs and seed as one test over all of them): each builds yargs
  // 150 times, and together they took longer than the 20 s a test may take on a loaded machine.
  let read = 0;
  it.each(COMMAND_NAMES)('for random invocations of %s (fast-check)', async (name) => {
    const words = wordsFor(COMMANDS[name]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...words), { maxLength: 6 }), async (rest) => {
        if (await same([name, ...rest])) read++;
      }),
      { numRuns: 150, seed: 18 },
    );
  });

  it('the comparison is not empty: the table reads a good share of those invocations itself', () => {
    expect(read).toBeGreaterThan(300);
  });

  it.each([
    [['gen']],
    [['gen', '--check']],
    [['gen', '-q']],
    [['gen', '--check', '--spec', 'matrix.yaml']],
    [['gen', '--no-color', '-s', 'matrix.yaml']],
    [['validate']],
    [['plan']],
    [['plan', '--json', '--build-platform', 'linux/amd64']],
    [['plan', '--affected=origin/main']],
    [['bake']],
    [['bake', 'api', 'web', '--platform', 'linux/arm64', '--push']],
    [['bake', '--set', 'api.args.X=1', '--set', '*.platform=linux/amd64', '-f', 'meta.json', 'api']],
    [['bake', '--no-cache', '--progress=plain', '--dry-run']],
    [['ci-matrix', '--format', 'gitlab']],
    [['merge', 'shards/a.json', 'shards/b.json']],
    [['builder', 'up', '--dry-run']],
    [['init', 'repo', '--depth', '2']],
    [['schema']],
    [['templates']],
    [['templates', 'java', 'go,php']],
    // Usage errors that are the table's: its reader and yargs agree on them too.
    [['gen', '--check', '--check']],
    [['plan', '--spec', '']],
    [['bake', '--platform', 'linux/amd64,']],
  ])('%j is read by the table, as yargs reads it', async (argv) => {
    expect(await same(argv)).toBe(true);
  });

  it.each([
    [[]],
    [['--help']],
    [['gen', '--help']],
    [['gen', '-h']],
    [['--version']],
    [['completion']],
    [['frobnicate']],
    [['gen', '--frobnicate']],
    [['gen', 'extra']],
    [['gen', '-qs', 'matrix.yaml']],
    [['bake', '--', '-odd']],
    [['plan', '--spec']],
    [['graph', '--format', 'svg']],
    [['builder', 'down']],
    [['merge']],
    [['gen', '--check=true']],
    [['gen', '--spec', '--check']],
  ])('%j is left to yargs (help, version, completion, its usage errors)', (argv) => {
    expect(plainInvocation(argv)).toBeUndefined();
  });
});
