// Checks that the machine can build what the spec asks for, each with a fix.
// `matrix bake` runs them first so users see the fix, not buildx's error text.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { parseInspect, type BuilderInfo, type Docker } from '../adapters/docker.js';
import type { Captured } from '../adapters/process.js';
import { abnormalEnd } from '../adapters/exit.js';
import { firstLine, quoted } from '../adapters/process.js';
import { runsNatively } from '../platforms.js';

export { parseInspect, type BuilderInfo } from '../adapters/docker.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
  /** A fault of this machine (a probe killed by a signal, src/adapters/exit.ts): a build it stops exits 74, not 2. */
  fault?: true;
}

export interface DoctorInput {
  /** Platforms the spec builds, and the ones whose RUN steps execute as that platform. */
  platforms: string[];
  emulatedPlatforms: string[];
  /** Registries (host[:port]) the spec's tags point at, local ones are probed. */
  registries: string[];
  multiPlatform: boolean;
  builder?: string;
  /** The docker to check (its binary and environment: the Io's). */
  docker: Docker;
  /** Only what blocks a build matters (`matrix bake`): see quickChecks. */
  blockersOnly?: boolean;
}

export function parseBuildxVersion(out: string): string | undefined {
  // "github.com/docker/buildx v0.13.1 abc" or Debian's "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3"
  return /buildx\s+v?(\d+\.\d+(?:\.\d+)?)/.exec(out)?.[1];
}

export function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** binfmt handler names registered by qemu-user-static / tonistiigi/binfmt. */
const QEMU_NAME: Record<string, string> = {
  'linux/arm64': 'aarch64',
  'linux/arm/v7': 'arm',
  'linux/arm/v6': 'arm',
  'linux/riscv64': 'riscv64',
  'linux/ppc64le': 'ppc64le',
  'linux/s390x': 's390x',
  'linux/386': 'i386',
  'linux/amd64': 'x86_64',
  'linux/mips64le': 'mips64el',
  'linux/loong64': 'loongarch64',
};

export function binfmtRegistered(platform: string): boolean {
  const name = QEMU_NAME[platform];
  if (!name) return false;
  const file = `/proc/sys/fs/binfmt_misc/qemu-${name}`;
  try {
    return existsSync(file) && readFileSync(file, 'utf8').startsWith('enabled');
  } catch {
    return false;
  }
}

function probeRegistry(hostPort: string, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: hostPort.split(':')[0], port: Number(hostPort.split(':')[1] ?? 80), path: '/v2/', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export function isLocalRegistry(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
}

export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  // Probes still running when a check fails are stopped, not waited for; the
  // answer comes once they are gone, so none outlives the checks (nor its signal handlers).
  const abandon = new AbortController();
  const started: Promise<unknown>[] = [];
  const run = (args: string[]) => {
    const probe = input.docker.capture(args, { signal: abandon.signal });
    started.push(probe.catch(() => undefined));
    return probe;
  };
  try {
    return (input.blockersOnly ? await quickChecks(input, run) : undefined) ?? (await doctorChecks(input, run));
  } finally {
    abandon.abort();
    await Promise.all(started);
  }
}

/**
 * `matrix bake`'s first try, one docker process instead of four: `buildx
 * inspect` alone. When it names a docker or docker-container builder and no
 * error, the docker CLI, the buildx plugin and the daemon (which those drivers
 * ask) all answered, so the CLI, daemon and buildx checks cannot fail (their
 * only other outcome, an old buildx, is a warning, which does not block a
 * build). Anything else: undefined, and every probe runs, for the same
 * failure and fix as `matrix doctor`.
 */
async function quickChecks(input: DoctorInput, run: (args: string[]) => Promise<Captured>): Promise<Check[] | undefined> {
  const inspect = run(['buildx', 'inspect', ...(input.builder ? ['--builder', input.builder] : [])]);
  const driverStatus = input.multiPlatform ? run(['info', '--format', '{{json .DriverStatus}}']) : undefined;
  driverStatus?.catch(() => undefined);
  // A dotted variant depends on buildx's version, which inspect does not print.
  const dotted = dottedVariants(input.platforms).length > 0;
  const buildx = dotted ? run(['buildx', 'version']) : undefined;
  const server = dotted ? run(['version', '--format', '{{.Server.Version}}']) : undefined;
  buildx?.catch(() => undefined);
  server?.catch(() => undefined);
  const ins = await inspect;
  const info = ins.code === 0 && !ins.spawnError ? parseInspect(ins.stdout) : undefined;
  if (!info || !['docker', 'docker-container'].includes(info.driver) || /^Error:/m.test(ins.stdout)) return undefined;
  if (buildx) {
    const bx = await buildx;
    const version = bx.code === 0 ? parseBuildxVersion(bx.stdout) : undefined;
    // No version to read: the full doctor says why.
    if (!version) return undefined;
    const client = dottedVariantCheck(version, input.platforms);
    if (client) return [client];
    const sv = await server!;
    const engine = dottedEngineCheck(input.platforms, ins.stdout, sv.code === 0 ? firstLine(sv.stdout) : undefined);
    if (engine) return [engine];
  }
  const builder: Check = { name: 'builder', status: 'ok', detail: quoted(`${info.name} (driver ${info.driver}), platforms ${info.platforms.join(', ') || 'unknown'}`) };
  return [builder, ...(await builderChecks(input, info, driverStatus))];
}

type Probes = ReturnType<typeof startProbes>;

/**
 * Every probe starts at once and they run side by side (each docker or buildx
 * call costs tens of milliseconds just to start); the checks read them in
 * order and stop at the first failure, as if run one by one.
 */
function startProbes(input: DoctorInput, run: (args: string[]) => Promise<Captured>) {
  return {
    cli: run(['version', '--format', '{{.Client.Version}}']),
    server: run(['version', '--format', '{{.Server.Version}}']),
    buildx: run(['buildx', 'version']),
    inspect: run(['buildx', 'inspect', ...(input.builder ? ['--builder', input.builder] : [])]),
    // Needed only for the docker driver; cheap and read-only, so asked for at once too.
    driverStatus: input.multiPlatform ? run(['info', '--format', '{{json .DriverStatus}}']) : undefined,
  };
}

async function doctorChecks(input: DoctorInput, run: (args: string[]) => Promise<Captured>): Promise<Check[]> {
  const probes = startProbes(input, run);
  const checks: Check[] = [];
  for (const step of [cliCheck, serverCheck, buildxCheck, builderCheck]) {
    const ch = await step(input, probes);
    checks.push(ch);
    if (ch.status === 'fail') return checks;
  }
  const inspected = (await probes.inspect).stdout;
  const sv = await probes.server;
  const engine = dottedEngineCheck(input.platforms, inspected, sv.code === 0 ? firstLine(sv.stdout) : undefined);
  if (engine) return [...checks, engine];
  const info = parseInspect(inspected);
  return [...checks, ...(await builderChecks(input, info, probes.driverStatus))];
}

/**
 * A probe that did not end on its own terms (src/adapters/exit.ts): killed by
 * a signal matrix did not send, a command of a docker wrapper not found or
 * not executable, a command line docker refused. Said as that, never as what
 * the probe asks about (a SIGKILLed `docker version` is no unreachable daemon).
 */
function endedCheck(name: string, input: DoctorInput, shownArgs: string, r: Captured): Check | undefined {
  if (r.spawnError !== undefined || r.timedOut || r.code === 0) return undefined;
  const end = abnormalEnd(`${input.docker.bin} ${shownArgs}`, r, { plugin: shownArgs.startsWith('buildx '), said: r.stderr.trim() !== '' });
  return end && { name, status: 'fail', detail: end.what, fix: end.hint, ...(end.machine ? { fault: true as const } : {}) };
}

async function cliCheck(input: DoctorInput, probes: Probes): Promise<Check> {
  const cli = await probes.cli;
  const ended = endedCheck('docker CLI', input, 'version', cli);
  if (ended) return ended;
  if (!cli.spawnError) return { name: 'docker CLI', status: 'ok', detail: `version ${firstLine(cli.stdout) || 'unknown'}` };
  return {
    name: 'docker CLI',
    status: 'fail',
    detail: `\`${input.docker.bin}\` not found (${cli.spawnError})`,
    fix: 'install Docker (Docker Desktop, or Docker Engine with the buildx plugin); on Debian: `bash scripts/engine-up.sh` from the matrix repository',
  };
}

async function serverCheck(input: DoctorInput, probes: Probes): Promise<Check> {
  const server = await probes.server;
  const ended = endedCheck('Docker daemon', input, 'version', server);
  if (ended) return ended;
  if (server.code === 0 && server.stdout.trim()) return { name: 'Docker daemon', status: 'ok', detail: `version ${firstLine(server.stdout)}` };
  const lines = server.stderr.trim().split('\n');
  const why = quoted(lines.find((l) => /Cannot connect|error during connect|permission denied/i.test(l)) ?? lines[0] ?? '');
  const { env } = input.docker;
  return {
    name: 'Docker daemon',
    status: 'fail',
    detail: why || 'not reachable',
    fix: env.DOCKER_HOST
      ? `DOCKER_HOST=${env.DOCKER_HOST} does not answer: start that daemon or unset DOCKER_HOST`
      : 'start Docker (Docker Desktop, `sudo systemctl start docker`, or `bash scripts/engine-up.sh` on a machine without systemd)',
  };
}

async function buildxCheck(input: DoctorInput, probes: Probes): Promise<Check> {
  const bx = await probes.buildx;
  const ended = endedCheck('buildx', input, 'buildx version', bx);
  if (ended) return ended;
  if (bx.code !== 0) return { name: 'buildx', status: 'fail', detail: 'the buildx plugin is missing', fix: 'install the buildx plugin (package docker-buildx-plugin or docker-buildx)' };
  const version = parseBuildxVersion(bx.stdout);
  // Exit 0 and no version: not the buildx this checks (a wrapper, a stub); said, never "ok" with its text.
  if (!version) {
    const first = firstLine(bx.stdout);
    return {
      name: 'buildx',
      status: 'warn',
      detail: `\`docker buildx version\` printed no version matrix can read${first ? `: ${first}` : ''}`,
      fix: 'check that `docker` on PATH is the Docker CLI and buildx its plugin (`docker buildx version` prints github.com/docker/buildx and a version)',
    };
  }
  const dotted = dottedVariantCheck(version, input.platforms);
  if (dotted) return dotted;
  if (versionLess(version, '0.13')) return { name: 'buildx', status: 'warn', detail: `version ${version} is older than 0.13; bake files from matrix target 0.13+`, fix: 'upgrade the buildx plugin' };
  return { name: 'buildx', status: 'ok', detail: `version ${version}${howBuildxRuns(input.docker)}` };
}

/** Which program runs for `docker buildx`: the plugin itself, or through the docker CLI (src/adapters/buildx-plugin.ts). */
function howBuildxRuns(docker: Docker): string {
  const p = docker.buildx();
  return p.direct ? `, ${p.path} (matrix runs it itself, as the docker CLI would)` : '';
}

/** The first buildx that reads a platform variant with a dot. */
export const DOTTED_VARIANTS_SINCE = '0.20';

/**
 * The platforms whose variant has a dot (`linux/arm64/v8.2`, `linux/arm64/v9.1`):
 * containerd's platform parser took `[A-Za-z0-9_-]` in a part until it
 * learnt arm64's minor versions (`[A-Za-z0-9_.-]`, containerd/platforms
 * platforms.go specifierRe); buildx vendors it from 0.20.0 (docker/buildx,
 * "vendor: update buildkit to v0.19.0-rc1"). Before, buildx refuses such a
 * platform in every target, after matrix has generated the files.
 */
export function dottedVariants(platforms: readonly string[]): string[] {
  return platforms.filter((p) => p.split('/')[2]?.includes('.'));
}

/** The first BuildKit that reads a dotted variant (it vendors containerd/platforms v1.0.0-rc.1), and the first Docker Engine built with one. */
export const DOTTED_BUILDKIT_SINCE = '0.19';
export const DOTTED_DOCKER_SINCE = '28.0';

/**
 * The BuildKit of the builder must read a dotted variant too: the daemon
 * parses the target platform again (dockerd 26.1 with buildx 0.22: "failed
 * to parse target platform linux/arm64/v8.2"). `buildx inspect` prints each
 * node's BuildKit version; a Docker Engine built from distribution sources
 * prints `v0.0.0+unknown`, and then the engine's version tells (`server`).
 */
export function dottedEngineCheck(platforms: readonly string[], inspect: string, server: string | undefined): Check | undefined {
  const dotted = dottedVariants(platforms);
  if (!dotted.length) return undefined;
  const known = [...inspect.matchAll(/^(?:BuildKit version|Buildkit):\s+v?(\d+\.\d+(?:\.\d+)?)/gm)].map((m) => m[1]!).filter((v) => v !== '0.0.0');
  const old = known.find((v) => versionLess(v, DOTTED_BUILDKIT_SINCE));
  const { driver } = parseInspect(inspect);
  const engine = !known.length && driver === 'docker' ? /^(\d+\.\d+)/.exec(server ?? '')?.[1] : undefined;
  const base = withoutVariants(dotted);
  if (old || (engine && versionLess(engine, DOTTED_DOCKER_SINCE))) {
    return {
      name: 'builder',
      status: 'fail',
      detail: old
        ? `BuildKit ${old} cannot read ${dotted.join(', ')}: BuildKit reads a variant with a dot from ${DOTTED_BUILDKIT_SINCE} on`
        : `Docker Engine ${server} builds with a BuildKit older than ${DOTTED_BUILDKIT_SINCE}, which cannot read ${dotted.join(', ')}: Docker Engine ${DOTTED_DOCKER_SINCE} and later build with one that can`,
      fix: `use a builder with BuildKit ${DOTTED_BUILDKIT_SINCE} or later (\`docker buildx create --driver docker-container\`), or build ${base} instead`,
    };
  }
  return undefined;
}

/** The platforms to build instead of dotted ones, each once: `linux/arm64/v8.2, linux/arm64/v9.1` is `linux/arm64`. */
function withoutVariants(dotted: readonly string[]): string {
  return [...new Set(dotted.map((p) => p.split('/').slice(0, 2).join('/')))].join(', ');
}

/** A build of a dotted variant on a buildx that cannot read it: a failure that names the fix; undefined otherwise. */
export function dottedVariantCheck(version: string, platforms: readonly string[]): Check | undefined {
  const dotted = dottedVariants(platforms);
  if (!dotted.length || !versionLess(version, DOTTED_VARIANTS_SINCE)) return undefined;
  const base = withoutVariants(dotted);
  return {
    name: 'buildx',
    status: 'fail',
    detail: `version ${version} cannot read ${dotted.join(', ')}: buildx reads a variant with a dot from ${DOTTED_VARIANTS_SINCE} on`,
    fix: `upgrade the buildx plugin to ${DOTTED_VARIANTS_SINCE} or later, or build ${base} instead`,
  };
}

async function builderCheck(input: DoctorInput, probes: Probes): Promise<Check> {
  const ins = await probes.inspect;
  const ended = endedCheck('builder', input, 'buildx inspect', ins);
  if (ended) return ended;
  if (ins.code !== 0) {
    return {
      name: 'builder',
      status: 'fail',
      detail: firstLine(ins.stderr) || `\`${input.docker.bin} buildx inspect\` exited ${ins.code} and said nothing`,
      fix: input.builder ? `create it: docker buildx create --name ${input.builder}` : 'select a builder: docker buildx use default',
    };
  }
  const info = parseInspect(ins.stdout);
  return { name: 'builder', status: 'ok', detail: quoted(`${info.name} (driver ${info.driver}), platforms ${info.platforms.join(', ') || 'unknown'}`) };
}

/** What the builder must do for this build: multi-platform output, emulated platforms, local registries. */
async function builderChecks(input: DoctorInput, info: BuilderInfo, driverStatus: Promise<Captured> | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  if (input.multiPlatform) {
    if (info.driver === 'docker') {
      const ds = (await driverStatus)!;
      const containerdStore = /io\.containerd\.snapshotter/.test(ds.stdout);
      checks.push(
        containerdStore
          ? { name: 'multi-platform output', status: 'ok', detail: 'docker driver with the containerd image store' }
          : {
              name: 'multi-platform output',
              status: 'fail',
              detail: 'the docker driver without the containerd image store cannot build multi-platform images',
              fix: 'enable it: add {"features":{"containerd-snapshotter":true}} to /etc/docker/daemon.json and restart dockerd (Docker Desktop: Settings > General > "Use containerd for pulling and storing images"), or use another builder: docker buildx create --use --driver docker-container',
            },
      );
    } else checks.push({ name: 'multi-platform output', status: 'ok', detail: `driver ${info.driver}` });
  }

  for (const p of input.emulatedPlatforms) {
    // As BuildKit decides a step needs no emulator (moby/buildkit solver/llbsolver/ops/exec_binfmt.go getEmulator):
    // some platform the builder lists runs it by containerd's matcher (src/platforms.ts runsNatively).
    const ok = info.platforms.some((h) => runsNatively(h, p)) || binfmtRegistered(p);
    checks.push(
      ok
        ? { name: `emulation ${p}`, status: 'ok', detail: 'the builder can run this platform' }
        : {
            name: `emulation ${p}`,
            status: 'fail',
            detail: `some build steps run as ${p}, and this builder cannot execute it`,
            fix: 'register QEMU: `docker run --privileged --rm tonistiigi/binfmt --install all`, or on Debian `apt-get install qemu-user-static`; or cross-compile (see `matrix plan`)',
          },
    );
  }

  for (const reg of input.registries.filter(isLocalRegistry)) {
    const ok = await probeRegistry(reg.replace(/^\[::1\]/, '::1'));
    checks.push(
      ok
        ? { name: `registry ${reg}`, status: 'ok', detail: 'answers /v2/' }
        : {
            name: `registry ${reg}`,
            status: 'fail',
            detail: 'no registry answers there',
            fix: `start one, e.g. \`docker run -d -p ${reg.split(':')[1] ?? '5000'}:5000 registry:2\` (or \`bash scripts/engine-up.sh\`)`,
          },
    );
  }
  return checks;
}
