// Checks that the machine can build what the spec asks for, each with a fix.
// `matrix bake` runs them first so users see the fix, not buildx's error text.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { parseInspect, type BuilderInfo, type Docker } from '../adapters/docker.js';
import type { Captured } from '../adapters/process.js';
import { abnormalEnd } from '../adapters/exit.js';
import { runsNatively } from '../platforms.js';
import { visible } from '../diagnostics.js';

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
  const ins = await inspect;
  const info = ins.code === 0 && !ins.spawnError ? parseInspect(ins.stdout) : undefined;
  if (!info || !['docker', 'docker-container'].includes(info.driver) || /^Error:/m.test(ins.stdout)) return undefined;
  const builder: Check = { name: 'builder', status: 'ok', detail: `${info.name} (driver ${info.driver}), platforms ${info.platforms.join(', ') || 'unknown'}` };
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
  const info = parseInspect((await probes.inspect).stdout);
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
  if (!cli.spawnError) return { name: 'docker CLI', status: 'ok', detail: `version ${cli.stdout.trim().split('\n')[0] || 'unknown'}` };
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
  if (server.code === 0 && server.stdout.trim()) return { name: 'Docker daemon', status: 'ok', detail: `version ${server.stdout.trim()}` };
  const lines = server.stderr.trim().split('\n');
  const why = (lines.find((l) => /Cannot connect|error during connect|permission denied/i.test(l)) ?? lines[0] ?? '').trim();
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
    const first = visible(bx.stdout.trim().split('\n')[0] ?? '').slice(0, 80);
    return {
      name: 'buildx',
      status: 'warn',
      detail: `\`docker buildx version\` printed no version matrix can read${first ? `: ${first}` : ''}`,
      fix: 'check that `docker` on PATH is the Docker CLI and buildx its plugin (`docker buildx version` prints github.com/docker/buildx and a version)',
    };
  }
  if (versionLess(version, '0.13')) return { name: 'buildx', status: 'warn', detail: `version ${version} is older than 0.13; bake files from matrix target 0.13+`, fix: 'upgrade the buildx plugin' };
  return { name: 'buildx', status: 'ok', detail: `version ${version}` };
}

async function builderCheck(input: DoctorInput, probes: Probes): Promise<Check> {
  const ins = await probes.inspect;
  const ended = endedCheck('builder', input, 'buildx inspect', ins);
  if (ended) return ended;
  if (ins.code !== 0) {
    return {
      name: 'builder',
      status: 'fail',
      detail: ins.stderr.trim().split('\n')[0] ?? 'cannot inspect the builder',
      fix: input.builder ? `create it: docker buildx create --name ${input.builder}` : 'select a builder: docker buildx use default',
    };
  }
  const info = parseInspect(ins.stdout);
  return { name: 'builder', status: 'ok', detail: `${info.name} (driver ${info.driver}), platforms ${info.platforms.join(', ') || 'unknown'}` };
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
