// The record of an up-to-date gen (record.ts), as a list of checks POSIX sh
// and coreutils can make exactly: bin/matrix-hook reads it and answers
// `Up to date` without starting Node when every check holds, and otherwise
// runs the full CLI. Written beside the record, from the same run, only when
// every read, every environment variable and every header item has such a
// check; otherwise no manifest is written and an older one is removed. The
// manifest is data, never code: the script parses it line by line, checks
// every field against the same rules as here, and never evaluates it.
//
// Each line is `OP FIELDS... PATH` (the path last, so it may hold spaces):
//   matrix-hook-manifest 1            the format, first line
//   root R                            matrix's package root (real path): the script's own must be it
//   node D I S M C P                  the Node that wrote it (device, inode, size, mtime, ctime of its real path P); `node` on PATH must be that file
//   cwd P / spec P / nospec / specpath P / up N
//   home P                            os.homedir(): $HOME, set and non-empty
//   set NAME VALUE / unset NAME       an environment variable read
//   reg HEX P / regnf HEX P           a regular file (after links / not a link) whose bytes have this sha256
//   absent P                          lstat(P) is ENOENT: its parent is a searchable directory and P neither exists nor is a link
//   is KIND f|n P                     stat (f) or lstat (n) of P is KIND
//   exists P / noexist P              stat(P) succeeds / fails
//   real P                            realpath(P) is P: P exists and no component of it is a link
//   size N P / nosize P               P is a regular file of N bytes after links / is none
//   end                               the last line
import { statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { digestOf, readRegularBytes } from '../fs/read.js';
import { packageRoot } from '../paths.js';
import { readEvery, type Header } from './record.js';
import { writeRecord } from './store.js';

export const MANIFEST_FORMAT = 1;

/** Paths the script can carry: absolute, normalized, printable ASCII without shell or sha256sum escapes. */
const SAFE_PATH = /^\/(?:[A-Za-z0-9 ._+@%,:=~-]+\/)*[A-Za-z0-9 ._+@%,:=~-]*$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Printable ASCII: bytes the shell compares as Node compares the decoded string. */
const VALUE = /^[\x20-\x7e]*$/;
const KINDS = new Set(['file', 'dir', 'symlink', 'fifo', 'char', 'block', 'socket']);

class NoManifest extends Error {}

function fail(): never {
  throw new NoManifest();
}

/** `p` when the script can carry it exactly; throws NoManifest otherwise. */
export function safePath(p: unknown): string {
  if (typeof p !== 'string' || !SAFE_PATH.test(p) || p.endsWith(' ') || (p.length > 1 && p.endsWith('/'))) fail();
  if (p.split('/').some((part) => part === '.' || part === '..')) fail();
  return p;
}

/** A sha256 digest in base64 as Node writes it: 43 characters, the last with its two low bits clear, and one `=`. */
const DIGEST_B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/**
 * Each base64 character's 6 bits, by character code (checked by DIGEST_B64
 * first), and each 12 bits (two base64 characters) as three hex digits. Made
 * when a manifest is first written, not when the module loads: every cold
 * `gen` loads this module, and the 4,096 strings cost about 1.3 ms CPU there
 * (and V8 then optimized the function that made them on a background thread).
 */
let TABLES: { sextet: Uint8Array; hex3: string[] } | undefined;

function makeTables(): { sextet: Uint8Array; hex3: string[] } {
  const sextet = new Uint8Array(128);
  for (let i = 0; i < B64.length; i++) sextet[B64.charCodeAt(i)] = i;
  const hex3 = new Array<string>(4096);
  for (let v = 0; v < 4096; v++) hex3[v] = v.toString(16).padStart(3, '0');
  return { sextet, hex3 };
}

/**
 * The digest in hex, as sha256sum prints it. Two base64 characters are three
 * hex digits: 42 of them and the 43rd's top 4 bits make the 64 digits. A
 * record holds a digest per file read, and Buffer.from(b64, 'base64') per
 * digest was most of the manifest's time (test/unit/manifest-hex.test.ts
 * holds this to Buffer's answer).
 */
export function hexOf(b64: string): string {
  if (!DIGEST_B64.test(b64)) fail();
  const { sextet, hex3 } = (TABLES ??= makeTables());
  let hex = '';
  for (let i = 0; i < 42; i += 2) hex += hex3[(sextet[b64.charCodeAt(i)]! << 6) | sextet[b64.charCodeAt(i + 1)]!];
  return hex + (sextet[b64.charCodeAt(42)]! >> 2).toString(16);
}

/** The ENOENT answer of a read that found nothing (src/fs/read.ts: lstat said ENOENT). */
const MISSING = /^fault:missing:ENOENT:file-missing:/;

/**
 * Whether a read's options (their JSON, as recorded) follow links. A record
 * holds a few distinct options for thousands of reads: each is parsed once.
 */
const FOLLOWS = new Map<string, boolean>();

function follows(optsText: string): boolean {
  let follow = FOLLOWS.get(optsText);
  if (follow === undefined) {
    follow = (JSON.parse(optsText) as { followSymlinks?: boolean }).followSymlinks !== false;
    if (FOLLOWS.size < 64) FOLLOWS.set(optsText, follow);
  }
  return follow;
}

function readLine(args: unknown[], answer: string): string {
  const [file, optsText] = args;
  if (args.length !== 2 || typeof optsText !== 'string') fail();
  const p = safePath(file);
  const follow = follows(optsText);
  if (MISSING.test(answer)) return `absent ${p}`;
  if (answer.startsWith('fault:') || answer.startsWith('err:')) fail();
  return `${follow ? 'reg' : 'regnf'} ${hexOf(answer)} ${p}`;
}

function kindLine(args: unknown[], answer: string): string {
  const [p, follow] = args;
  if (args.length !== 2 || typeof follow !== 'boolean') fail();
  if (answer === 'err:ENOENT') return `absent ${safePath(p)}`;
  if (!KINDS.has(answer) || (follow && answer === 'symlink')) fail();
  return `is ${answer} ${follow ? 'f' : 'n'} ${safePath(p)}`;
}

/** One read of the record (`[name, ...args]` -> answer) as a manifest line; throws NoManifest when it has none. */
export function checkLine(call: unknown[], answer: string): string {
  const [name, ...args] = call;
  switch (name) {
    case 'read':
      return readLine(args, answer);
    case 'kind':
      return kindLine(args, answer);
    case 'exists':
      if (args.length !== 1 || (answer !== 'true' && answer !== 'false')) fail();
      return `${answer === 'true' ? 'exists' : 'noexist'} ${safePath(args[0])}`;
    case 'realpath':
      // Only a path that is its own real path: any link on the way, or an error, has no exact check here.
      if (args.length !== 1 || answer !== args[0]) fail();
      return `real ${safePath(answer)}`;
    case 'size':
      if (args.length !== 1) fail();
      if (answer === 'undefined') return `nosize ${safePath(args[0])}`;
      if (!/^(0|[1-9][0-9]{0,15})$/.test(answer)) fail();
      return `size ${answer} ${safePath(args[0])}`;
    case 'home':
      if (args.length !== 0 || answer === '') fail();
      return `home ${safePath(answer)}`;
    default:
      // `list` (readdir's order), `writable` (access(2) against test -w), anything new: no exact check.
      return fail();
  }
}

function envLines(env: readonly (readonly [string, string | null])[]): string[] {
  return env.map(([name, value]) => {
    if (!NAME.test(name)) fail(); // `*` (the whole environment) included
    if (value === null) return `unset ${name}`;
    if (!VALUE.test(value)) fail();
    return `set ${name} ${value}`;
  });
}

/** The Node running now, by its real path and what stat says of it: another binary, or this one replaced, is another Node. */
function nodeLine(): string {
  const exe = safePath(process.execPath);
  const st = statSync(exe, { bigint: true });
  if (!st.isFile()) fail();
  return `node ${st.dev} ${st.ino} ${st.size} ${st.mtimeNs / 1_000_000_000n} ${st.ctimeNs / 1_000_000_000n} ${exe}`;
}

/**
 * matrix's build (record.ts identity(): the module's file, the digests of
 * package.json and dist/build.json), plus the files the bin starts from: a
 * package at another place, or with any of them changed, is another build.
 */
function identityLines(identity: string, root: string, digest: (file: string) => string | undefined): string[] {
  const [self, pkg, build, ...rest] = identity.split('\n');
  if (rest.length || !self || !pkg || !build || path.relative(root, safePath(self)).startsWith('..')) fail();
  const lines = [`root ${safePath(root)}`, `is file f ${self}`, `reg ${hexOf(pkg)} ${path.join(root, 'package.json')}`, `reg ${hexOf(build)} ${path.join(root, 'dist', 'build.json')}`];
  for (const rel of ['bin/matrix.cjs', 'bin/load.cjs', 'dist/matrix.cjs']) {
    const file = path.join(root, rel);
    const d = digest(file);
    if (d === undefined) fail();
    lines.push(`reg ${hexOf(d)} ${safePath(file)}`);
  }
  return lines;
}

export interface ManifestInput {
  header: Header;
  upToDate: number;
  outputs: readonly string[];
  env: readonly (readonly [string, string | null])[];
  /** `JSON.stringify([name, ...args])` -> answer, as recorded. */
  observations: ReadonlyMap<string, string>;
  /** matrix's package root (paths.ts packageRoot()). */
  root: string;
  /** A file's content digest (base64 sha256, as a recorded read answers), or undefined when it cannot be read. */
  digest: (file: string) => string | undefined;
}

/** The manifest of a record, or undefined when some part of it has no exact check in the shell. */
export function manifestText(m: ManifestInput): string | undefined {
  try {
    const h = m.header;
    const calls = [...m.observations].map(([key, answer]) => [JSON.parse(key) as unknown[], answer] as const);
    // What verifiedRecord asks of a record: it read the spec and every file it counts.
    if (m.outputs.length !== m.upToDate || !readEvery(calls, [h.specPath, ...m.outputs])) return undefined;
    const lines = [`matrix-hook-manifest ${MANIFEST_FORMAT}`, ...identityLines(h.identity, m.root, m.digest), nodeLine(), `cwd ${safePath(h.cwd)}`];
    lines.push(h.spec === null ? 'nospec' : `spec ${safeSpecArg(h.spec)}`, `specpath ${safePath(h.specPath)}`, `up ${m.upToDate}`);
    lines.push(...envLines(m.env), ...calls.map(([call, answer]) => checkLine(call, answer)), 'end');
    return `${lines.join('\n')}\n`;
  } catch (e) {
    if (e instanceof NoManifest || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/** `--spec` as given: the script compares it as a string, so the same rules as a path, but it may be relative. */
function safeSpecArg(spec: string): string {
  if (spec.startsWith('-')) fail();
  safePath(spec.startsWith('/') ? spec : `/${spec}`);
  return spec;
}

/** The manifest's file, beside the record `matrix-check-HASH.json`. */
export function manifestPath(recordFile: string): string {
  return recordFile.replace(/\.json$/, '.hook');
}

function digestOrUndefined(file: string): string | undefined {
  try {
    return digestOf(readRegularBytes(file));
  } catch {
    return undefined;
  }
}

/**
 * Beside the record just saved (`recordFile`), its manifest; or, when `saved`
 * is undefined (no record was written) or the record has no exact shell
 * check, no manifest: an older one is removed. A failure only loses the manifest.
 */
export function saveManifest(recordFile: string, saved: Omit<ManifestInput, 'root' | 'digest'> | undefined): void {
  const file = manifestPath(recordFile);
  const text = saved && manifestText({ ...saved, root: packageRoot(), digest: digestOrUndefined });
  if (text !== undefined && writeRecord(file, text)) return;
  try {
    unlinkSync(file);
  } catch {
    /* none there, or not ours to remove: the script checks every line of it anyway */
  }
}
