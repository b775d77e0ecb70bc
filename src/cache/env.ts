// The environment a recorded run read, through Io.env (nothing in matrix
// reads process.env past src/cli/stdio.ts).
export type EnvReads = Map<string, string | null>;

/** ALL: the run enumerated the environment, so all of it counts. */
export const ALL = '*';

/** `env` as seen by a recorded run: every variable read, or tested for, is noted in `reads`. */
export function recordingEnv(env: Record<string, string | undefined>, reads: EnvReads): Record<string, string | undefined> {
  const note = (name: string | symbol) => {
    if (typeof name !== 'string' || reads.has(name)) return;
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    reads.set(name, typeof value === 'string' ? value : null);
  };
  const all = () => reads.set(ALL, JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return new Proxy(env, {
    get(target, name) {
      note(name);
      return Reflect.get(target, name);
    },
    has(target, name) {
      note(name);
      return Reflect.has(target, name);
    },
    ownKeys(target) {
      all();
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, name) {
      note(name);
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
}

/** True when `env` still gives every recorded read the same answer. */
export function sameEnv(env: Readonly<Record<string, string | undefined>>, reads: readonly (readonly [string, string | null])[]): boolean {
  const mine = new Map<string, string | null>();
  recordingEnvSnapshot(env, reads, mine);
  return reads.every(([name, value]) => mine.get(name) === value);
}

function recordingEnvSnapshot(env: Readonly<Record<string, string | undefined>>, reads: readonly (readonly [string, string | null])[], out: EnvReads): void {
  const view = recordingEnv(env as Record<string, string | undefined>, out);
  for (const [name] of reads) {
    if (name === ALL) Reflect.ownKeys(view);
    else void view[name];
  }
}
