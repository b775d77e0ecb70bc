// A compile, the comparison with the disk, and the replay of a record
// (src/compile.ts, src/cli/gen-run.ts, src/cache/record.ts) ask about each
// path several times in a row: whether it exists, what it is, its real path,
// then its bytes; and every service directory's real path repeats its
// parents'. For the length of one such phase, which writes nothing, lstat(2)
// answers and real paths are remembered, so each path costs one lstat and a
// real path is its parent's plus its name: the phase sees one view of the
// disk. Outside these phases every call asks the system, and each phase
// starts with nothing remembered: the comparison `gen` makes again under its
// lock, and the writes after it, see a link swapped in since the last look.
// A path that is not there is remembered as missing too: a compile asks for
// each service's go.work, .nvmrc, ... that most services do not have, and
// Node's lstatSync builds an Error with a stack for each ENOENT (about 20 us,
// against 3 us for `throwIfNoEntry: false`). Node 20 answers undefined there
// for ENOENT only; later versions for ENOTDIR too (nodejs/node issue 56993),
// so undefined counts as ENOENT only for a plain name in a directory, where
// nothing else can fail; otherwise the path is asked again with the error
// thrown. Other errors are not remembered: they are asked again.
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { getSystemErrorMap } from 'node:util';

/** What callers read of an lstat answer: the kind of file and its size (Node's Stats has the same methods). */
export interface PathStat {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

/** What is at a path: the kinds of file lstat(2) tells apart. */
export type FileKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block' | 'socket';

/** The kind of file an lstat or stat answer names. */
export function kindOfStats(st: PathStat): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  return st.isBlockDevice() ? 'block' : 'socket';
}

/**
 * A remembered lstat answer, kept as its kind and size: a Stats object (its
 * fourteen numbers and, on Node 20, four Dates) is about ten times as large,
 * and a compile of 10,000 services remembers tens of thousands of paths.
 */
class Remembered implements PathStat {
  constructor(
    private readonly kind: FileKind,
    readonly size: number,
  ) {}
  isFile(): boolean {
    return this.kind === 'file';
  }
  isDirectory(): boolean {
    return this.kind === 'dir';
  }
  isSymbolicLink(): boolean {
    return this.kind === 'symlink';
  }
  isFIFO(): boolean {
    return this.kind === 'fifo';
  }
  isCharacterDevice(): boolean {
    return this.kind === 'char';
  }
  isBlockDevice(): boolean {
    return this.kind === 'block';
  }
  isSocket(): boolean {
    return this.kind === 'socket';
  }
}

function remembered(st: Stats): Remembered {
  return new Remembered(kindOfStats(st), st.size);
}

/** The lstat answer of a path that is not there (ENOENT). */
const MISSING = null;

interface Memo {
  lstat: Map<string, Remembered | typeof MISSING>;
  real: Map<string, string>;
}

let memo: Memo | undefined;

/**
 * Run `fn`, a phase that writes nothing, with lstat answers and real paths
 * remembered; inside another such phase, `fn` shares that one's. Successes and
 * ENOENT are remembered; any other error is asked again, as it was.
 */
export function withPathMemo<T>(fn: () => T): T {
  if (memo) return fn();
  memo = { lstat: new Map(), real: new Map() };
  try {
    return fn();
  } finally {
    memo = undefined;
  }
}

/**
 * lstat(2) of `p`, or undefined when there is nothing at `p` (ENOENT: a
 * component is missing); remembered during a read-only phase. Any other error
 * is thrown as lstatSync throws it. The cheap way to ask "is it there?": no
 * Error is made for a missing path.
 */
export function lstatIfThere(p: string): PathStat | undefined {
  if (!memo) return lstatSync(p, { throwIfNoEntry: false }) ?? missingOrThrow(p);
  let st = memo.lstat.get(p);
  if (st === undefined) {
    const fresh = lstatSync(p, { throwIfNoEntry: false }) ?? missingOrThrow(p);
    st = fresh === undefined ? MISSING : remembered(fresh);
    memo.lstat.set(p, st);
  }
  return st ?? undefined;
}

/**
 * After lstatSync with `throwIfNoEntry: false` answered undefined: undefined
 * when nothing is at `p` (ENOENT), known without asking again when `p` is a
 * plain name in a directory; else lstatSync's own answer now, or its error
 * (ENOTDIR, which later Node versions also answer with undefined).
 */
function missingOrThrow(p: string): Stats | undefined {
  if (nameInDirectory(p)) return undefined;
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Whether `p` is a name (not `.`, `..` or a trailing separator) in a directory that is there: looking it up can fail only with ENOENT. */
function nameInDirectory(p: string): boolean {
  const name = path.basename(p);
  const dir = path.dirname(p);
  if (name === '' || name === '.' || name === '..' || dir === p || p.endsWith('/') || p.endsWith(path.sep)) return false;
  try {
    return lstatIfThere(dir)?.isDirectory() === true;
  } catch {
    return false;
  }
}

/** lstat(2) of `p`, remembered during a read-only phase. Throws as lstatSync does (ENOENT included). */
export function lstatOf(p: string): PathStat {
  if (!memo) return lstatSync(p);
  const st = lstatIfThere(p);
  if (st === undefined) throw noEntry(p);
  return st;
}

let enoent: [number, string] | undefined;

/**
 * The error lstatSync throws for a path that is not there, with the same
 * message, errno, code, syscall and path (Node's uvException, lib/internal/errors.js,
 * from libuv's errno and text for ENOENT: -2 here, -4058 on Windows), and no
 * stack: callers read its code or message, and capturing a stack is most of its cost.
 */
function noEntry(p: string): NodeJS.ErrnoException {
  if (!enoent) {
    for (const [errno, [name, text]] of getSystemErrorMap()) if (name === 'ENOENT') enoent = [errno, text];
    enoent ??= [-2, 'no such file or directory'];
  }
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`ENOENT: ${enoent[1]}, lstat '${p}'`), { errno: enoent[0], code: 'ENOENT', syscall: 'lstat', path: p });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * realpath(3) of `p`. During a read-only phase on Linux (where realpath(3) keeps a
 * name's case as given, as composing it does), a normalized absolute path
 * whose last component is there and is not a link has its parent's real path
 * and its own name; anything else (a link, a path that is not there, `.` or
 * `..`, a parent that fails) gets realpath(3)'s own answer or error.
 */
export function realpathOf(p: string): string {
  if (!memo || process.platform !== 'linux') return realpathSync.native(p);
  const known = memo.real.get(p);
  if (known !== undefined) return known;
  const real = fromParent(p) ?? realpathSync.native(p);
  memo.real.set(p, real);
  return real;
}

function fromParent(p: string): string | undefined {
  if (!path.isAbsolute(p) || p === '/' || p.endsWith('/') || path.normalize(p) !== p) return undefined;
  try {
    if (lstatOf(p).isSymbolicLink()) return undefined;
    const up = realpathOf(path.dirname(p));
    const real = `${up === '/' ? '' : up}/${path.basename(p)}`;
    // realpath(3) refuses an answer of PATH_MAX or more: let it say so.
    return real.length < 4096 ? real : undefined;
  } catch {
    return undefined;
  }
}
