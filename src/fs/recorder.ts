// What a run read of the outside world, so that a later run can tell whether
// anything it depends on changed (src/cache/). Every read of the compile path
// goes through an operation defined here (src/fs/read.ts, src/fs/probe.ts):
// an operation has a name, JSON-able arguments and a function that turns its
// result, or the error it threw, into an answer string that holds everything
// the caller can see of it (a digest of the bytes read, a file's kind, a real
// path). While a recording is active each call notes `[name, args] -> answer`;
// replaying runs the operation again and compares the answers. When all are
// equal, a deterministic program given the same arguments makes the same
// calls, gets the same answers and prints the same thing.

export type Arg = string | number | boolean;

interface Op {
  run: (...args: never[]) => unknown;
  answer: (result: never) => string;
}

const OPS = new Map<string, Op>();

interface Session {
  seen: Map<string, string>;
  /** A call whose answer could not be written down, or one key that answered twice differently. */
  broken: boolean;
}

let session: Session | undefined;

/** The answer of an operation that threw: the fault as the caller sees it. */
export function errorAnswer(e: unknown): string | undefined {
  // A FileFault (src/fs/read.ts, not imported: it imports this module): its reason, errno, code and message.
  const f = e as { reason?: unknown; errno?: unknown; message?: unknown; diagnostics?: { code?: unknown }[] } | undefined;
  if (e instanceof Error && typeof f?.reason === 'string' && Array.isArray(f.diagnostics)) return `fault:${f.reason}:${String(f.errno ?? '')}:${String(f.diagnostics[0]?.code)}:${e.message}`;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? `err:${code}` : undefined;
}

function note(key: string, answer: string | undefined): void {
  const s = session!;
  if (answer === undefined) {
    s.broken = true;
    return;
  }
  const before = s.seen.get(key);
  if (before === undefined) s.seen.set(key, answer);
  else if (before !== answer) s.broken = true;
}

/**
 * Define an operation; the function returned runs it, noting its answer when
 * a recording is active. `args` are exactly what replay passes to `run` again.
 */
export function defineOp<A extends Arg[], T>(name: string, run: (...args: A) => T, answer: (result: T) => string): (...args: A) => T {
  OPS.set(name, { run, answer } as unknown as Op);
  return (...args: A): T => {
    if (!session) return run(...args);
    const key = JSON.stringify([name, ...args]);
    let result: T;
    try {
      result = run(...args);
    } catch (e) {
      note(key, errorAnswer(e));
      throw e;
    }
    note(key, answer(result));
    return result;
  };
}

/**
 * Note the answer a call of operation `name` would give, without running it:
 * for a caller that knows it for certain (the bytes it has just written, src/output/existing.ts
 * assumeOutputFile). The key is the one the operation itself would note. An answer
 * that is wrong can only make a later replay see a change (and compile); it
 * cannot hide one. Nothing happens outside a recording.
 */
export function noteAssumed(name: string, args: Arg[], answer: string): void {
  if (!session) return;
  if (!OPS.has(name)) throw new Error(`noteAssumed: no operation named ${name}`);
  note(JSON.stringify([name, ...args]), answer);
}

/**
 * Note that a call of operation `name` threw `e`, for a caller that did the
 * operation's work itself (src/fs/read.ts readRegularPieces): the answer the
 * operation would have noted. Nothing happens outside a recording.
 */
export function noteThrown(name: string, args: Arg[], e: unknown): void {
  if (!session) return;
  if (!OPS.has(name)) throw new Error(`noteThrown: no operation named ${name}`);
  note(JSON.stringify([name, ...args]), errorAnswer(e));
}

/** True while a recording is active (callers skip building arguments otherwise). */
export function isRecording(): boolean {
  return session !== undefined;
}

export interface Recording<T> {
  value: T;
  /** `JSON.stringify([name, ...args])` -> answer, in the order first asked (JSON.parse gives the call back). */
  observations: Map<string, string>;
  /** False when some answer could not be written down or changed during the run: such a run is never reused. */
  complete: boolean;
}

/** Run `fn` with every read recorded. Recordings do not nest. */
export async function recording<T>(fn: () => Promise<T>): Promise<Recording<T>> {
  if (session) throw new Error('recording: already recording');
  const s: Session = { seen: new Map(), broken: false };
  session = s;
  try {
    const value = await fn();
    return { value, observations: s.seen, complete: !s.broken };
  } finally {
    session = undefined;
  }
}

/**
 * Run a recorded operation again: `call` is `[name, ...args]` as recorded.
 * Undefined for a call that is not one (an unknown name, arguments of the
 * wrong types): the caller treats it as a change.
 */
export function replayAnswer(call: unknown): string | undefined {
  if (!Array.isArray(call) || typeof call[0] !== 'string') return undefined;
  const [name, ...args] = call as [string, ...unknown[]];
  const op = OPS.get(name);
  if (!op || !args.every((a) => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean')) return undefined;
  try {
    return (op.answer as (r: unknown) => string)((op.run as (...a: unknown[]) => unknown)(...args));
  } catch (e) {
    return errorAnswer(e);
  }
}
