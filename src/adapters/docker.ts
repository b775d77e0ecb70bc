// The docker CLI, resolved once per command from the Io's environment
// (MATRIX_DOCKER names another binary; tests point it at a fake). Every
// docker and buildx call goes through this adapter and src/adapters/process.ts, with the
// Io's environment, never the process's.
import { diagnostic, userError, UserError } from '../diagnostics.js';
import { abnormalEnd, EndedError, endExit, endOf, type AbnormalEnd } from './exit.js';
import { capture, firstLine, stream, type CaptureOutput, type Captured, type StreamResult } from './process.js';
import { buildFilterSettings, safeGitEnvironment } from './git.js';
import { buildxPlugin, REEXEC_ENV, type BuildxPlugin } from './buildx-plugin.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Docker {
  /** The binary as given (for the commands matrix prints). */
  readonly bin: string;
  /** The environment docker runs with (the Io's). */
  readonly env: Env;
  /** How `docker buildx ...` runs: the plugin itself, as the docker CLI would run it, or through the CLI (src/adapters/buildx-plugin.ts). */
  readonly buildx: () => BuildxPlugin;
  /** Run to completion and capture the output (see process.ts `capture`). */
  capture(args: string[], opts?: { timeoutMs?: number; cwd?: string; env?: Env; signal?: AbortSignal } & CaptureOutput): Promise<Captured>;
  /**
   * A long command in its own process group, stderr by lines (see process.ts
   * `stream`). `contexts`: the build's context directories (absolute, or
   * relative to `cwd`), where buildx runs git too.
   */
  stream(
    args: string[],
    opts: { cwd: string; env?: Env; signal?: AbortSignal; contexts?: readonly string[] },
    onStderrLine: (line: string) => void,
    onStdout: (chunk: string) => void,
  ): Promise<StreamResult>;
}

/** The docker of this environment: `MATRIX_DOCKER`, else `docker` on PATH. */
export function dockerOf(env: Env): Docker {
  return dockerAt(env.MATRIX_DOCKER ?? 'docker', env);
}

export function dockerAt(bin: string, env: Env): Docker {
  let plugin: BuildxPlugin | undefined;
  const buildx = () => (plugin ??= buildxPlugin(bin, env));
  // `docker buildx ...`: the plugin with the same arguments and the variable the CLI sets, when matrix is sure which plugin the CLI would run.
  const program = (args: readonly string[], e: Env): { file: string; env: Env } => {
    const p = args[0] === 'buildx' ? buildx() : undefined;
    return p?.direct ? { file: p.path, env: { ...e, [REEXEC_ENV]: bin } } : { file: bin, env: e };
  };
  return {
    bin,
    env,
    buildx,
    // buildx runs git in the build context: with the repository's config, whose programs it must not run (git.ts).
    capture: (args, o = {}) => {
      const p = program(args, o.env ?? env);
      return capture({ file: p.file, args, env: safeGitEnvironment(p.env), ...(o.cwd ? { cwd: o.cwd } : {}) }, o.timeoutMs, o.signal, false, o);
    },
    // A build: with BUILDX_GIT_CHECK_DIRTY buildx also runs `git status` in each context, which runs the filter drivers of the repository around it.
    stream: async (args, o, onStderrLine, onStdout) => {
      const p = program(args, o.env ?? env);
      const filters = checksDirty(p.env) ? await buildFilterSettings(o.cwd, o.contexts ?? [], p.env) : [];
      return stream({ file: p.file, args, cwd: o.cwd, env: safeGitEnvironment(p.env, filters) }, onStderrLine, onStdout, o.signal);
    },
  };
}

/**
 * Whether buildx checks the working tree for changes before a build: the
 * variable read as Go's strconv.ParseBool reads it (buildx's build/git.go);
 * a value it cannot read leaves the check off.
 */
export function checksDirty(env: Env): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(env.BUILDX_GIT_CHECK_DIRTY ?? '');
}

/** The error of every command that could not start docker at all. */
export function dockerMissing(docker: Docker, spawnError: string): UserError {
  return userError('docker-missing', `cannot run \`${docker.bin}\`: ${spawnError}`, { hint: 'install Docker with the buildx plugin; see `matrix doctor`' });
}

/** docker's management commands: their first word names a group, the second the command (`docker image tag`). */
const GROUPS = new Set(['builder', 'container', 'context', 'image', 'manifest', 'network', 'system', 'volume']);

/**
 * How a docker command that `capture` ran ended, when not on its own terms
 * (src/adapters/exit.ts endOf): said as the words that name the command
 * (`docker buildx imagetools create`, `docker image tag`, `docker cp`), never
 * its operands (a reference, a builder, a container's path); then `flag`,
 * when one says what the command was for (`--print`).
 */
export function dockerEnd(docker: Docker, args: readonly string[], r: Captured, flag?: '--print' | '--help'): AbnormalEnd | undefined {
  const naming = args[0] === 'buildx' ? (args[1] === 'imagetools' ? 3 : 2) : GROUPS.has(args[0] ?? '') ? 2 : 1;
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') || words.length === naming) break;
    words.push(a);
  }
  return endOf([docker.bin, ...words, ...(flag && args.includes(flag) ? [flag] : [])].join(' '), r, { plugin: args[0] === 'buildx' });
}

/**
 * EndedError (src/adapters/exit.ts) when the docker command `args` that
 * `capture` ran did not end on its own terms: killed, or a docker that could
 * not run it. Its answer says nothing then (no output to read, no error of
 * the spec or the files). `subject`: what stopped, as the command says it.
 */
export function throwIfEnded(docker: Docker, args: readonly string[], r: Captured, subject: string, flag?: '--print' | '--help'): void {
  const end = dockerEnd(docker, args, r, flag);
  if (end) throw new EndedError(end, subject);
}

/**
 * `docker buildx imagetools inspect --raw REF`: the manifest or index as the
 * registry serves it; `end` when imagetools did not end on its own terms
 * (killed, or a docker that could not run it): no answer about the registry.
 */
export async function inspectRaw(docker: Docker, ref: string, timeoutMs = 60_000): Promise<Captured & { end?: AbnormalEnd }> {
  const args = ['buildx', 'imagetools', 'inspect', '--raw', ref];
  const r = await docker.capture(args, { timeoutMs });
  const end = dockerEnd(docker, args, r);
  return end ? { ...r, end } : r;
}

export interface BuilderInfo {
  name: string;
  driver: string;
  platforms: string[];
}

/** What `docker buildx inspect` says of a builder. */
export function parseInspect(out: string): BuilderInfo {
  const name = /^Name:\s+(\S+)/m.exec(out)?.[1] ?? '';
  const driver = /^Driver:\s+(\S+)/m.exec(out)?.[1] ?? '';
  const platforms = new Set<string>();
  for (const m of out.matchAll(/^Platforms:\s+(.*)$/gm)) {
    for (const p of m[1]!.split(',')) {
      const t = p.trim().replace(/\*$/, '');
      if (t) platforms.add(t);
    }
  }
  return { name, driver, platforms: [...platforms] };
}

/** The builder's driver, as `docker buildx inspect` reports it. */
export async function detectDriver(docker: Docker, builder?: string): Promise<string> {
  const r = await docker.capture(['buildx', 'inspect', ...(builder ? ['--builder', builder] : [])]);
  const driver = r.code === 0 ? parseInspect(r.stdout).driver : '';
  // Killed (exit 74), or a docker that could not run it (2): said as that (src/adapters/exit.ts), not as an unknown builder.
  const end = r.code === 0 || r.spawnError !== undefined || r.timedOut ? undefined : abnormalEnd(`${docker.bin} buildx inspect`, r, { plugin: true, said: r.stderr.trim() !== '' });
  if (end) {
    const which = builder ? `builder \`${builder}\`` : 'the current builder';
    throw new UserError([diagnostic({ code: 'builder-unknown', message: `cannot tell the driver of ${which}: ${end.what}`, hint: end.hint })], endExit(end));
  }
  if (!driver) {
    throw userError('builder-unknown', `cannot tell the driver of ${builder ? `builder \`${builder}\`` : 'the current builder'}: ${(r.spawnError ?? firstLine(r.stderr)) || 'no Driver line'}`, {
      hint: 'check it with `docker buildx inspect`, or run `matrix doctor`',
    });
  }
  return driver;
}
