// Machine faults: an error of the operating system (permission denied, a
// read-only or full file system, a dangling symlink, a symlink loop, a
// directory where a file should be...) is the user's to fix, not a bug in
// matrix. main() turns one into a single line with the path and the cause,
// exit 74 (EX_IOERR of sysexits.h); bin/matrix.cjs does the same for a write
// error on stdout. Loaded by the fast path too: no imports but node builtins.

const { lstatSync, readlinkSync, statSync } = process.getBuiltinModule('node:fs');
const path = process.getBuiltinModule('node:path');
import { CAUSES, causeOf } from '../fs/errno.js';
import { resourceHint } from '../resource-faults.js';

export { causeOf };

export interface Fault {
  code: string;
  /** What failed, e.g. "write services/api/Dockerfile". */
  action: string;
  /** Why, e.g. "no space left on device". */
  cause: string;
}

/** Codes that are a fault of the machine even without a path (a write to an open file). */
const DEVICE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EFBIG', 'ENXIO', 'ENODEV', 'ETXTBSY', 'EBUSY']);

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  fsync: 'write',
  close: 'write',
  rename: 'rename',
  mkdir: 'create directory',
  mkdtemp: 'create a temporary directory in',
  rmdir: 'remove',
  rm: 'remove',
  unlink: 'remove',
  scandir: 'list',
  opendir: 'list',
  stat: 'read',
  lstat: 'read',
  access: 'read',
  realpath: 'resolve',
  readlink: 'read link',
  symlink: 'create link',
  link: 'create link',
  copyfile: 'copy',
  chmod: 'change the mode of',
  utime: 'set the time of',
};

/** A path as the user sees it: relative to cwd when inside it, control characters escaped. */
export function shownPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  const s = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The file a path stands for: a write goes to `.NAME.PID.tmp` next to NAME
 * and is renamed over it (src/output/sync.ts), so a fault there is a fault
 * writing NAME.
 */
function intended(p: string): string {
  const m = /^\.(.+)\.\d+\.tmp$/.exec(path.basename(p));
  return m ? path.join(path.dirname(p), m[1]!) : p;
}

/** Is `p`, or one of its parents, a symlink whose target does not exist? */
export function danglingAt(p: string): boolean {
  return danglingLink(p) !== undefined;
}

/** Of `p` or one of its parents: the first symlink whose target does not exist. */
function danglingLink(p: string): { link: string; to: string } | undefined {
  for (let dir = p; ; dir = path.dirname(dir)) {
    try {
      if (lstatSync(dir).isSymbolicLink()) {
        try {
          statSync(dir);
        } catch {
          return { link: dir, to: readlinkSync(dir) };
        }
      }
      // An existing non-link: everything above it resolves.
      else return undefined;
    } catch {
      // Does not exist: look at the parent.
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The fault an error describes, or undefined when it is no operating-system error. */
export function faultOf(e: unknown, cwd: string): Fault | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const code = err.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code) || typeof err.syscall !== 'string') return undefined;
  if (typeof err.path !== 'string' && !DEVICE_CODES.has(code) && !(code in CAUSES)) return undefined;
  let cause = causeOf(err);
  let verb = VERBS[err.syscall] ?? err.syscall;
  // Opening for writing fails with these: say "write" as the user would.
  if (verb === 'open' && ['EROFS', 'ENOSPC', 'EDQUOT', 'EISDIR', 'EEXIST'].includes(code)) verb = 'write';
  let action = verb;
  if (typeof err.path === 'string') {
    action = `${verb} ${shownPath(intended(err.path), cwd)}`;
    if (typeof err.dest === 'string') action += ` to ${shownPath(err.dest, cwd)}`;
    if (code === 'ENOENT') {
      const d = danglingLink(err.path) ?? (typeof err.dest === 'string' ? danglingLink(err.dest) : undefined);
      if (d) cause = `${d.link === err.path ? 'it' : shownPath(d.link, cwd)} is a dangling symlink to ${shownPath(d.to, cwd)}`;
    }
  }
  return { code, action, cause };
}

/** The fault in one line; one out of a resource (file descriptors, memory) has a second, what to do (src/resource-faults.ts). */
export function describeFault(f: Fault): string {
  const hint = resourceHint(f.code);
  return `cannot ${f.action}: ${f.cause} (${f.code})${hint ? `\n  hint: ${hint}` : ''}`;
}
