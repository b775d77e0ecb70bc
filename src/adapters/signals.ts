// Signals as they end a program, shared by what matrix says of them: a
// docker or buildx process that was killed (src/adapters/exit.ts), and a build
// step whose process was (src/release/classify.ts stepSignal). No node:os:
// the summary's formatting (src/output/format.ts) reads it, and gen's modules
// read nothing of the machine (test/unit/fs-access.test.ts).

/** Signals a program gets when it crashes: a fault of the program or its installation, not something outside it. */
export const CRASHES: ReadonlySet<string> = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT', 'SIGSYS', 'SIGTRAP']);

/** Who sends a SIGKILL nobody asked for, and where the kernel says it did: a killed docker or buildx, and a killed build step. */
const OOM_CAUSE = 'SIGKILL is what the kernel\'s OOM killer sends, and a container\'s or cgroup\'s memory limit: look for "Out of memory" or "oom-kill" in `dmesg` or `journalctl -k`';

/** What to do about a docker or buildx process (on this machine) that SIGKILL ended. */
export const OOM_HINT = `${OOM_CAUSE}; free memory, raise the limit (Docker Desktop: Settings > Resources), or build fewer targets or platforms at once, then run it again`;

/**
 * The signals that end a process, by their numbers on Linux for x86, ARM,
 * RISC-V, POWER and s390x (signal(7), "Standard signals": the x86/ARM
 * column; Alpha, MIPS, SPARC and PA-RISC number 7, 10, 12 and 16 on
 * otherwise). A build step runs on the builder, a Linux machine whatever
 * matrix runs on: its exit code is read with these numbers, never with this
 * system's (os.constants.signals; macOS's SIGBUS is 10). Under QEMU user
 * emulation a guest killed by a signal ends QEMU with the host's signal, so
 * an emulated step is read the same way. Signals whose default action is to
 * ignore or stop (SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
 * SIGURG, SIGWINCH) end no process, and name no exit code.
 */
const LINUX_SIGNALS: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};

/** The signal a Linux exit code of 128 + n says ended a command (137: SIGKILL), if it names one. */
export function linuxExitSignal(code: number): string | undefined {
  return code > 128 && Object.hasOwn(LINUX_SIGNALS, code - 128) ? LINUX_SIGNALS[code - 128] : undefined;
}

/**
 * What to do about a build step (a RUN) whose process `sig` ended. The step
 * runs in the builder, so its memory is the builder's: the machine the daemon
 * runs on, the buildkitd container of a docker-container builder (buildx
 * driver/docker-container/factory.go takes `memory` and `memory-swap` driver
 * options), Docker Desktop's VM.
 */
export function stepSignalHint(sig: string): string {
  if (sig === 'SIGKILL') {
    return `${OOM_CAUSE}, on the machine the builder runs on; a step has the builder's memory: raise its limit (Docker Desktop: Settings > Resources; a docker-container builder: \`docker buildx create --driver docker-container --driver-opt memory=8g\`), and know that a step on an emulated platform (QEMU) needs more memory than it does natively; build fewer targets or platforms at once (\`--platform\`), then run it again`;
  }
  if (sig === 'SIGABRT') {
    return 'SIGABRT is a program ending itself on a fatal error: a failed assertion, or a runtime out of memory (Node aborts so on "JavaScript heap out of memory": raise --max-old-space-size, or the builder\'s memory); the step\'s output above says which';
  }
  if (CRASHES.has(sig)) {
    return `${sig} is a crash of the step's program, or, on an emulated platform, of QEMU running it (an instruction or system call it does not emulate); run the step's command on its own to see which; on an emulated platform, register a newer QEMU (\`docker run --privileged --rm tonistiigi/binfmt --install all\`) or cross-compile on the build platform (see \`matrix plan\`)`;
  }
  if (sig === 'SIGPIPE') return "SIGPIPE ends a command that writes to a pipe whose reader has exited (`cmd | head` under `set -o pipefail`); see the step's command";
  return `${sig} was sent to the step's process: by a command of the step (\`timeout\` sends SIGTERM) or by something on the builder's machine; see the step's command and output`;
}
