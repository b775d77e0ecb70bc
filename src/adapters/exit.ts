// How a docker, buildx or cosign process ended when it did not end on its own
// terms: killed by a signal, a command not found or not executable, or the
// docker CLI refusing its own command line. Such an end says nothing of the
// spec, the build, the daemon or the registry, and must not be reported as any
// of them (a SIGKILLed `docker version` is no "daemon not reachable", a
// SIGKILLed `docker buildx imagetools create` no registry error).
//
// The shapes, from what each layer does:
// - Node reports a program a signal ended with `signal` and no code.
// - A shell (a `docker` wrapper or shim) exits 128 + n when its command was
//   ended by signal n (137: SIGKILL, 143: SIGTERM), 127 when a command is not
//   found and 126 when it cannot be executed (POSIX, Shell Command Language,
//   2.8.2 Exit Status for Commands).
// - The docker CLI exits 125 when it (or a plugin's cobra, as buildx's)
//   refuses its command line (`unknown flag`), and, when its buildx plugin
//   was ended by a signal, passes on Go's ExitStatus() of it, which is -1: the
//   process exits 255 and prints nothing (docker/cli cmd/docker/docker.go
//   tryPluginRun; measured with docker 28.2 and a plugin that kills itself).
import os from 'node:os';
import { interruptedBy } from './process.js';
import { CRASHES, OOM_HINT } from './signals.js';

export type EndKind = 'signal' | 'plugin-signal' | 'not-found' | 'not-executable' | 'cli-refused';

export interface AbnormalEnd {
  kind: EndKind;
  /** The exit code matrix saw (128 + n for a signal Node reported). */
  code: number;
  /** The signal's name, when the end names one (kind `signal`). */
  signal?: string;
  /** What happened, one sentence without a trailing period. */
  what: string;
  /** What to do about it. */
  hint: string;
  /** A fault of the machine (exit 74: killed by a signal), not of the installation (exit 2: 125, 126, 127). */
  machine: boolean;
  /** The program whose installation a fault that is not the machine's is of (Program.name). */
  program: string;
}

/**
 * The program a command runs, for what is said of it: `docker` (with its
 * buildx plugin) or `cosign`. The docker CLI's 125 and its silent 255 for a
 * killed plugin are docker's own; cosign has no such codes (it exits 1, or
 * 10 to 12 for a signature it did not find: sigstore/cosign
 * cmd/cosign/errors/exit_codes.go).
 */
export interface Program {
  /** The program's name, as PATH finds it. */
  name: string;
  /** A command that shows it runs, and what to reinstall: for a crash. */
  check: string;
  install: string;
  /** What to check when a command of it was not found (127) or not executable (126). */
  notFound: string;
  notExecutable: string;
  /** 125 is its CLI refusing the command line (docker/cli cmd/docker/docker.go). */
  refuses125: boolean;
}

export const DOCKER: Program = {
  name: 'docker',
  check: '`docker buildx version`',
  install: 'Docker and its buildx plugin',
  notFound: 'check the docker matrix runs (`command -v docker`, or MATRIX_DOCKER) and that `docker buildx version` works; see `matrix doctor`',
  notExecutable: 'check the docker matrix runs (`command -v docker`, or MATRIX_DOCKER) and its buildx plugin (`docker buildx version`); see `matrix doctor`',
  refuses125: true,
};

export const COSIGN: Program = {
  name: 'cosign',
  check: '`cosign version`',
  install: 'cosign',
  notFound: 'check the cosign matrix runs (`command -v cosign`) and that `cosign version` works',
  notExecutable: 'check the cosign matrix runs (`command -v cosign`): it must be executable and a program for this machine, and `cosign version` must work',
  refuses125: false,
};

/** The name of signal `n` on this system (os.constants.signals), if it has one. */
function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
}

/** The signal a shell's exit code 128 + n names (137: SIGKILL), if it names one on this system. */
export function exitSignal(code: number): string | undefined {
  return code > 128 && code < 128 + 65 ? signalName(code - 128) : undefined;
}

function signalHint(sig: string, p: Program): string {
  if (sig === 'SIGKILL') return OOM_HINT;
  if (CRASHES.has(sig)) return `${sig} is a crash of the program: check that ${p.check} runs, and reinstall or upgrade ${p.install}`;
  return `matrix sent no signal: something else on this machine (a CI job's time limit, a supervisor, a user) stopped it; run it again once that is out of the way`;
}

/**
 * How `shown` (the command as the user would type it, e.g. `docker buildx bake`)
 * ended, when that was not on its own terms; undefined for an ordinary exit
 * (0, 1, a build error). `plugin`: the command runs a docker CLI plugin
 * (buildx), where 255 without an error line is a plugin a signal ended.
 * `said`: the command printed an error line of its own. `program`: docker
 * unless said. A run matrix interrupted or timed out is never asked about:
 * that signal is matrix's (endOf leaves them out).
 */
export function abnormalEnd(shown: string, r: { code: number; signal?: string | undefined }, o: { plugin: boolean; said: boolean; program?: Program }): AbnormalEnd | undefined {
  const p = o.program ?? DOCKER;
  if (r.signal) {
    // By this system's number: process.ts knows only the numbers every Unix shares.
    const n = (os.constants.signals as Record<string, number | undefined>)[r.signal];
    return { kind: 'signal', code: n ? 128 + n : r.code, signal: r.signal, what: `\`${shown}\` was killed by ${r.signal}`, hint: signalHint(r.signal, p), machine: true, program: p.name };
  }
  const fromShell = exitSignal(r.code);
  if (fromShell) {
    return {
      kind: 'signal',
      code: r.code,
      signal: fromShell,
      what: `\`${shown}\` exited ${r.code} (128 + ${r.code - 128}): it, or a program it ran, was killed by ${fromShell}`,
      hint: signalHint(fromShell, p),
      machine: true,
      program: p.name,
    };
  }
  if (r.code === 255 && o.plugin && !o.said) {
    return {
      kind: 'plugin-signal',
      code: r.code,
      what: `\`${shown}\` exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed by a signal, most often SIGKILL`,
      hint: OOM_HINT,
      machine: true,
      program: p.name,
    };
  }
  return installationEnd(shown, r.code, p);
}

/** 127, 126, and docker's own 125: a fault of the installation (exit 2), not of the machine. */
function installationEnd(shown: string, code: number, p: Program): AbnormalEnd | undefined {
  if (code === 127) {
    return {
      kind: 'not-found',
      code,
      what: `\`${shown}\` exited 127: a command it runs was not found (a \`${p.name}\` wrapper or shim whose program is missing?)`,
      hint: p.notFound,
      machine: false,
      program: p.name,
    };
  }
  if (code === 126) {
    return {
      kind: 'not-executable',
      code,
      what: `\`${shown}\` exited 126: a command it runs was found but cannot be executed (no execute permission, or not a program for this machine)`,
      hint: p.notExecutable,
      machine: false,
      program: p.name,
    };
  }
  if (code === 125 && p.refuses125) {
    return {
      kind: 'cli-refused',
      code,
      what: `\`${shown}\` exited 125: the docker CLI or buildx refused the command line before anything ran`,
      hint: 'most often a flag this docker or buildx does not know: `docker buildx version` must be 0.13 or later (`matrix doctor` checks it)',
      machine: false,
      program: p.name,
    };
  }
  return undefined;
}

/** The exit code of a command that `end` stopped: 74 for a fault of the machine, 2 for one of the installation. */
export function endExit(end: AbnormalEnd): 74 | 2 {
  return end.machine ? 74 : 2;
}

/**
 * The abnormal end of a captured run (src/adapters/process.ts `capture`), or
 * undefined: for success, an ordinary failure, a program that did not start
 * (its `spawnError`, said where it is read), a run matrix stopped for its time
 * limit, and any run once matrix itself was interrupted (the signal is
 * matrix's). `plugin`: a `docker buildx ...` command; `said`: it wrote to stderr.
 */
export function endOf(
  shown: string,
  r: { code: number; signal?: string | undefined; stderr: string; spawnError?: string | undefined; timedOut?: true | undefined },
  o: { plugin: boolean; program?: Program },
): AbnormalEnd | undefined {
  if (r.code === 0 || r.spawnError !== undefined || r.timedOut || interruptedBy()) return undefined;
  return abnormalEnd(shown, r, { plugin: o.plugin, said: r.stderr.trim() !== '', ...(o.program ? { program: o.program } : {}) });
}

/**
 * Thrown where a command cannot go on past an abnormal end (a registry read
 * the rest depends on, a `bake --print` whose answer it needs): the command
 * that catches it, or else the one error boundary (src/cli/main.ts), says it
 * (formatAbnormalEnd, with `subject`: what stopped, e.g. "reading the tags to
 * publish") and exits endExit(end).
 */
export class EndedError extends Error {
  constructor(
    readonly end: AbnormalEnd,
    readonly subject?: string,
  ) {
    super(end.what);
    this.name = 'EndedError';
  }
}
