// How a docker or buildx process ended when it did not end on its own terms:
// killed by a signal, a command not found or not executable, or the docker
// CLI refusing its own command line. Such an end says nothing of the spec,
// the build or the daemon, and must not be reported as any of them (a
// SIGKILLed `docker version` is no "daemon not reachable").
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
}

/** The name of signal `n` on this system (os.constants.signals), if it has one. */
function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
}

/** Signals a program gets when it crashes: a fault of the program or its installation, not something outside it. */
const CRASHES = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT', 'SIGSYS', 'SIGTRAP']);

export const OOM_HINT =
  'SIGKILL is what the kernel\'s OOM killer sends, and a container\'s or cgroup\'s memory limit: look for "Out of memory" or "oom-kill" in `dmesg` or `journalctl -k`; free memory, raise the limit (Docker Desktop: Settings > Resources), or build fewer targets or platforms at once, then run it again';

function signalHint(sig: string): string {
  if (sig === 'SIGKILL') return OOM_HINT;
  if (CRASHES.has(sig)) return `${sig} is a crash of the program: check that \`docker buildx version\` runs, and reinstall or upgrade Docker and its buildx plugin`;
  return `matrix sent no signal: something else on this machine (a CI job's time limit, a supervisor, a user) stopped it; run it again once that is out of the way`;
}

/**
 * How `shown` (the command as the user would type it, e.g. `docker buildx bake`)
 * ended, when that was not on its own terms; undefined for an ordinary exit
 * (0, 1, a build error). `plugin`: the command runs a docker CLI plugin
 * (buildx), where 255 without an error line is a plugin a signal ended.
 * `said`: the command printed an error line of its own. A run matrix
 * interrupted or timed out is never asked about: that signal is matrix's.
 */
export function abnormalEnd(shown: string, r: { code: number; signal?: string | undefined }, o: { plugin: boolean; said: boolean }): AbnormalEnd | undefined {
  if (r.signal) {
    // By this system's number: process.ts knows only the numbers every Unix shares.
    const n = (os.constants.signals as Record<string, number | undefined>)[r.signal];
    return { kind: 'signal', code: n ? 128 + n : r.code, signal: r.signal, what: `\`${shown}\` was killed by ${r.signal}`, hint: signalHint(r.signal), machine: true };
  }
  const fromShell = r.code > 128 && r.code < 128 + 65 ? signalName(r.code - 128) : undefined;
  if (fromShell) {
    return {
      kind: 'signal',
      code: r.code,
      signal: fromShell,
      what: `\`${shown}\` exited ${r.code} (128 + ${r.code - 128}): it, or a program it ran, was killed by ${fromShell}`,
      hint: signalHint(fromShell),
      machine: true,
    };
  }
  if (r.code === 255 && o.plugin && !o.said) {
    return {
      kind: 'plugin-signal',
      code: r.code,
      what: `\`${shown}\` exited 255 and said nothing: the docker CLI ends so when its buildx plugin was killed by a signal, most often SIGKILL`,
      hint: OOM_HINT,
      machine: true,
    };
  }
  if (r.code === 127) {
    return {
      kind: 'not-found',
      code: r.code,
      what: `\`${shown}\` exited 127: a command it runs was not found (a \`docker\` wrapper or shim whose program is missing?)`,
      hint: 'check the docker matrix runs (`command -v docker`, or MATRIX_DOCKER) and that `docker buildx version` works; see `matrix doctor`',
      machine: false,
    };
  }
  if (r.code === 126) {
    return {
      kind: 'not-executable',
      code: r.code,
      what: `\`${shown}\` exited 126: a command it runs was found but cannot be executed (no execute permission, or not a program for this machine)`,
      hint: 'check the docker matrix runs (`command -v docker`, or MATRIX_DOCKER) and its buildx plugin (`docker buildx version`); see `matrix doctor`',
      machine: false,
    };
  }
  if (r.code === 125) {
    return {
      kind: 'cli-refused',
      code: r.code,
      what: `\`${shown}\` exited 125: the docker CLI or buildx refused the command line before anything ran`,
      hint: 'most often a flag this docker or buildx does not know: `docker buildx version` must be 0.13 or later (`matrix doctor` checks it)',
      machine: false,
    };
  }
  return undefined;
}
