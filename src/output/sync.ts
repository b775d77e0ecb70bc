// Stage 6: compare the rendered files with the disk, then either report
// (`gen --check`, opens nothing for writing) or apply the changes.
import { mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import { listDir, statKind } from '../fs/probe.js';
import { commitTemp, commitTempAsync, keepMode, makeDirAsync, removeQuietly, tempNameFor, writeFault, writeTemp, writeTempAsync } from '../fs/write.js';
import { isInside, realpathOrUndefined } from '../paths.js';
import { claimEmpty, manifestOf, outputDigestState, outputState, previousManifest, refusal, type OutputState, type OutputWhere } from './existing.js';
import { listDirAsync, listDirNow, removeStaleTemps } from '../fs/stale.js';
import { isGenerated } from '../render/header.js';
import { writeTargetProblem } from '../resolve/writable.js';
import { textDigest } from './digest.js';

export type ChangeKind = 'create' | 'update' | 'delete';

export interface Change {
  kind: ChangeKind;
  /** Spec-dir-relative POSIX path. */
  file: string;
  before?: string;
  after?: string;
}

export interface SyncPlan {
  changes: Change[];
  unchanged: string[];
  diagnostics: Diagnostic[];
}

export { previousManifest };

/** Where in the spec an output comes from, so a refusal can point there. */
export type OutputOrigins = Pick<ReadonlyMap<string, Pick<Diagnostic, 'file' | 'line' | 'column' | 'path'>>, 'get'>;

/**
 * `inputs`: absolute paths of every file the spec reads (the spec itself,
 * hand-written Dockerfiles, user templates, secret files...). A file the spec
 * uses is never an orphan: a service switched from `template:` to
 * `dockerfile:` at the same path adopts the generated file, edits and all.
 */
export function planSync(
  specDir: string,
  repoRoot: string,
  files: OutputFiles,
  bakeFile: string,
  origins?: OutputOrigins,
  inputs: readonly string[] = [],
  known?: ReadonlyMap<string, OutputState>,
): SyncPlan {
  const where: OutputWhere = { specDir, repoRoot, realRoot: realpathOrUndefined(repoRoot) ?? repoRoot };
  const { changes, unchanged, diagnostics, manifest } = planOutputs(where, files, bakeFile, origins, known);
  changes.push(...orphanDeletions(where, files, manifest, inputs));
  return { changes, unchanged, diagnostics };
}

/**
 * The files to write. Where producing a file's text costs a render
 * (render/files.ts: GeneratedFiles), `digestOf` gives its digest instead, so
 * an up-to-date file is never rendered here.
 */
export interface OutputFiles extends ReadonlyMap<string, string> {
  digestOf?(file: string): string | undefined;
  /** The text, where it is at hand without rendering: compared as it is, no digest taken. */
  keptText?(file: string): string | undefined;
}

/** What to do with each output: create, update, nothing, or refuse (a diagnostic). Also the old bake file's manifest. */
/** `known`: states resolve read a moment ago (compile's `outputs`), so each file is read once; anything else is read now. */
function planOutputs(where: OutputWhere, files: OutputFiles, bakeFile: string, origins?: OutputOrigins, known?: ReadonlyMap<string, OutputState>): SyncPlan & { manifest: readonly string[] } {
  const changes: Change[] = [];
  const unchanged: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const problem = (file: string, code: DiagnosticCode, message: string, hint: string) => diagnostics.push(diagnostic({ code, file, ...origins?.get(file), message, hint }));

  const realDirs = new Map<string, string | undefined>();
  // A file whose new text is not kept is compared by digest (sameContent): what is on disk is read as one too.
  const onDisk = (file: string, manifest = false): OutputState =>
    files.digestOf !== undefined && files.keptText?.(file) === undefined ? outputDigestState(where, file, realDirs, manifest) : outputState(where, file, realDirs);
  // The bake file first: its manifest names the orphans, and the only empty files matrix may claim (claimEmpty).
  const bakeCur = known?.get(bakeFile) ?? onDisk(bakeFile, true);
  const manifest: readonly string[] = manifestOf(bakeCur) ?? previousManifest(textOnDisk(where, bakeFile));
  const listed = new Set(bakeCur.kind === 'file' && bakeCur.ours ? manifest.map((f) => path.resolve(where.specDir, f)) : []);
  // One file at a time: its text (rendered when asked for) is compared, and a
  // change renders it again when written or shown; nothing is held for all files.
  for (const file of files.keys()) {
    const cur = file === bakeFile ? bakeCur : claimEmpty(known?.get(file) ?? onDisk(file), listed.has(path.resolve(where.specDir, file)));
    const refused = refusal(file, cur, file === bakeFile);
    if (refused) problem(file, refused.code, refused.message, refused.hint);
    else if (cur.kind === 'missing') changes.push(new PlannedChange('create', file, files, where));
    else if (cur.kind === 'file' && sameContent(files, file, cur)) unchanged.push(file);
    else if (cur.kind === 'file') changes.push(new PlannedChange('update', file, files, where));
  }

  return { changes, unchanged, diagnostics, manifest };
}

/**
 * A create or an update whose texts are asked for when needed: `after`
 * rendered (or looked up) when it is written or shown, `before` read from the
 * disk when a diff shows it. One class, so every change shares its two
 * accessors: as object literals with getters, each change was an object in
 * dictionary mode with two closures of its own, 13 MB alive at 10,000
 * services while an update's two plans (before and under the lock) were.
 */
class PlannedChange implements Change {
  readonly #files: OutputFiles;
  readonly #where: OutputWhere;
  constructor(
    readonly kind: 'create' | 'update',
    readonly file: string,
    files: OutputFiles,
    where: OutputWhere,
  ) {
    this.#files = files;
    this.#where = where;
  }
  get before(): string | undefined {
    return this.kind === 'update' ? textOnDisk(this.#where, this.file) : undefined;
  }
  get after(): string | undefined {
    return this.#files.get(this.file);
  }
  /** Whether `after` is kept already (a small spec's, render/files.ts keepsTexts): asking for it renders nothing. */
  get atHand(): boolean {
    return this.#files.keptText?.(this.file) !== undefined;
  }
}

/**
 * Whether no new text of the plan costs a render: each kept by the compile
 * (PlannedChange.atHand) or a plain value (a getter of some other object may
 * render). applySync then writes on this thread (writeTempsNow).
 */
export function everyTextAtHand(plan: SyncPlan): boolean {
  return plan.changes.every((c) => {
    if (c.kind === 'delete') return true;
    if (c instanceof PlannedChange) return c.atHand;
    const own = Object.getOwnPropertyDescriptor(c, 'after');
    return own !== undefined && 'value' in own;
  });
}

/** Whether the file on disk (`cur`) holds exactly the bytes to write: by digest where either side has only that. */
function sameContent(files: OutputFiles, file: string, cur: OutputState & { kind: 'file' }): boolean {
  const kept = cur.text !== undefined ? files.keptText?.(file) : undefined;
  if (kept !== undefined) return kept === cur.text;
  const digest = files.digestOf?.(file);
  if (digest !== undefined) return digest === (cur.digest ?? textDigest(cur.text!));
  const text = files.get(file)!;
  return cur.text !== undefined ? cur.text === text : cur.digest === textDigest(text);
}

/** What a file holds now (read again when a change is shown), undefined when it is no longer a regular file. */
function textOnDisk(where: OutputWhere, file: string): string | undefined {
  const cur = outputState(where, file);
  return cur.kind === 'file' ? cur.text : undefined;
}

/** Deletions: outputs the previous bake file's manifest lists that this run no longer writes. */
function orphanDeletions(where: OutputWhere, files: ReadonlyMap<string, string>, manifest: readonly string[], inputs: readonly string[]): Change[] {
  const { specDir, repoRoot, realRoot } = where;
  const changes: Change[] = [];
  // Compared as absolute paths: a manifest line `./api/Dockerfile` names the file we are about to write.
  const outputs = new Set([...files.keys()].map((f) => path.resolve(specDir, f)));
  // Inputs compared by path and by real path (`./x`, `a/../x`, a symlinked directory);
  // resolved only when there is an orphan candidate at all (usually there is none).
  let keptSet: Set<string> | undefined;
  const kept = () => {
    if (keptSet) return keptSet;
    keptSet = new Set<string>();
    for (const p of inputs) {
      keptSet.add(path.resolve(p));
      const real = realpathOrUndefined(p);
      if (real) keptSet.add(real);
    }
    return keptSet;
  };
  for (const file of manifest) {
    const abs = path.resolve(specDir, file);
    if (outputs.has(abs) || kept().has(abs) || !isInside(path.resolve(repoRoot), abs)) continue;
    const parentReal = realpathOrUndefined(path.dirname(abs));
    if (!parentReal || !isInside(realRoot, parentReal)) continue;
    if (kept().has(path.join(parentReal, path.basename(abs))) || kept().has(realpathOrUndefined(abs) ?? abs)) continue;
    // A removal is held to what a write is (resolve/writable.ts): the bake file's header is text a
    // repository brings along, and a line `docs/gl/description` through a link to .git, or
    // `.git/info/exclude`, named a file there that carried matrix's header. Never the git directory.
    if (writeTargetProblem(where, file, 'a file the bake file lists', 'file') !== undefined) continue;
    const cur = outputState(where, file);
    // Only files that still carry our header: an edited-away header means a human owns it now.
    if (cur.kind === 'file' && cur.text !== undefined && isGenerated(cur.text)) changes.push({ kind: 'delete', file, before: cur.text });
  }
  return changes;
}

/**
 * The directories a failed write had made, emptied of its temporary files:
 * each removed again with everything below it that is still empty (rmdir
 * refuses a directory that holds anything, so nothing else is lost).
 */
function removeMadeDirs(made: readonly string[]): void {
  const all = new Set<string>();
  for (const top of made) {
    all.add(top);
    for (const e of listDirs(top)) all.add(e);
  }
  // Deepest first.
  for (const dir of [...all].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty, or gone: left as it is */
    }
  }
}

/** Every directory below `dir` (made by one recursive mkdir: a single chain). */
function listDirs(dir: string): string[] {
  const out: string[] = [];
  try {
    for (const name of listDir(dir)) {
      const sub = path.join(dir, name);
      if (statKind(sub, false) === 'dir') out.push(sub, ...listDirs(sub));
    }
  } catch {
    /* unreadable: nothing to remove below it */
  }
  return out;
}

/**
 * Files in the write phase at once where texts are rendered in it. Each file
 * renders on this thread (a large spec renders it again here,
 * src/render/files.ts) while those before it are created, written and
 * renamed in Node's thread pool: the kernel's work on the files runs beside
 * the render instead of after it. Interleaved runs on the same directory (2
 * cores, 2026-12-05): `gen` of 10,000 services 6.6-7.0 s against 7.4-8.0 s
 * one file at a time, for about a tenth more CPU. 32 at once was no faster
 * and held 5 MB more at the peak; 1 at once, through the thread pool, 1.5x
 * slower. Where every text is at hand, writeTempsNow.
 */
const AT_ONCE = 16;

/** A temporary file written in full, to be renamed over `abs`. */
interface Written {
  tmp: string;
  abs: string;
  file: string;
}

/**
 * Apply a plan. Each file is written to a temporary sibling, then renamed over
 * the target: a reader (or a kill at any moment) sees either the whole old file
 * or the whole new one, never a mix. Every new file is written before any is
 * renamed, and files are deleted last: a write that fails (a full disk, a
 * read-only or forbidden directory) removes the temporary files written so
 * far and changes nothing on disk.
 *
 * Files are not flushed with fsync, as compilers and formatters do not: that
 * was most of the time of a large `gen` (1,000 fsyncs took 1.2 s here) and
 * buys nothing a generator needs. Everything written can be written again from
 * the spec; after a power cut, `gen --check` shows what was lost and `gen`
 * writes it again (an output left empty counts as generated, see planSync).
 * A failed rename leaves the files renamed before it new, the others old, and
 * no temporary file.
 */
export async function applySync(specDir: string, plan: SyncPlan, atOnce?: number): Promise<void> {
  const writes = plan.changes.filter((c) => c.kind !== 'delete');
  const n = atOnce ?? (everyTextAtHand(plan) ? 0 : AT_ONCE);
  if (n === 0) renameAllNow(writeTempsNow(specDir, writes));
  else await renameAll(await writeTemps(specDir, writes, n), n);
  deleteOrphans(specDir, plan.changes);
}

/**
 * writeTemps on this thread, one file after another (`atOnce` 0): where
 * every text is at hand, nothing is left to render beside the kernel's work,
 * and the thread pool's round trips only add to it. 1,000 services (2,000
 * targets, texts kept), 11 interleaved runs on fresh copies (2 cores,
 * 2026-12-05): `gen` 1.40 s against 1.62 s with 16 at once, 1.88 s of CPU
 * against 2.47 s.
 */
function writeTempsNow(specDir: string, writes: readonly Change[]): Written[] {
  const dirs = new Map<string, string[]>();
  const made: string[] = [];
  const written: Written[] = [];
  try {
    for (const c of writes) {
      const abs = path.resolve(specDir, c.file);
      const dir = path.dirname(abs);
      let names = dirs.get(dir);
      if (!names) {
        try {
          const top = mkdirSync(dir, { recursive: true });
          if (top !== undefined) made.push(top);
          names = listDirNow(dir);
        } catch (e) {
          throw writeFault(abs, e, c.file);
        }
        dirs.set(dir, names);
      }
      removeStaleTemps(abs, names);
      const tmp = tempNameFor(abs, process.pid);
      writeTemp(tmp, c.after!, abs, 0o644, c.file);
      if (c.kind === 'update') keepMode(abs, tmp);
      written.push({ tmp, abs, file: c.file });
    }
  } catch (e) {
    abandonWrites(written, made);
    throw e;
  }
  return written;
}

/** What a failed write phase leaves: none of its temporary files (`written` may have holes), none of the directories it made. */
function abandonWrites(written: readonly (Written | undefined)[], made: readonly string[]): void {
  for (const w of written) if (w) removeQuietly(w.tmp);
  removeMadeDirs(made);
}

/** renameAll on this thread. */
function renameAllNow(written: readonly Written[]): void {
  try {
    for (const w of written) commitTemp(w.tmp, w.abs, w.file);
  } catch (e) {
    for (const w of written) removeQuietly(w.tmp);
    throw e;
  }
}

/** Every file to create or update, written to its temporary sibling; on a failure none is left, nor any directory made for them. */
async function writeTemps(specDir: string, writes: readonly Change[], atOnce: number): Promise<Written[]> {
  // Each directory is made and listed once (for stale temp files), not once per file.
  const dirs = new Map<string, Promise<string[]>>();
  // Directories this run made (the top one of each mkdir), removed again when a write fails.
  const made: string[] = [];
  const readyDir = (dir: string): Promise<string[]> => {
    let ready = dirs.get(dir);
    if (!ready) {
      ready = makeDirAsync(dir).then((top) => {
        if (top !== undefined) made.push(top);
        return listDirAsync(dir);
      });
      dirs.set(dir, ready);
    }
    return ready;
  };
  const written: Written[] = [];
  try {
    await inOrder(writes.length, atOnce, (i) => {
      const c = writes[i]!;
      const abs = path.resolve(specDir, c.file);
      // Rendered now, on this thread, while the files before it are written.
      const text = c.after!;
      return (async () => {
        let names: string[];
        try {
          names = await readyDir(path.dirname(abs));
        } catch (e) {
          throw writeFault(abs, e, c.file);
        }
        removeStaleTemps(abs, names);
        const tmp = tempNameFor(abs, process.pid);
        await writeTempAsync(tmp, text, abs, 0o644, c.file);
        if (c.kind === 'update') keepMode(abs, tmp);
        written[i] = { tmp, abs, file: c.file };
      })();
    });
  } catch (e) {
    abandonWrites(written, made);
    throw e;
  }
  return written;
}

/** Each written file renamed into place; on a failure the temporary files not renamed are removed. */
async function renameAll(written: readonly Written[], atOnce: number): Promise<void> {
  try {
    await inOrder(written.length, atOnce, (i) => {
      const w = written[i]!;
      return commitTempAsync(w.tmp, w.abs, w.file);
    });
  } catch (e) {
    // A renamed file's temporary name is gone already (nothing else makes one with this pid).
    for (const w of written) removeQuietly(w.tmp);
    throw e;
  }
}

/** The deletions of a plan, after every file is in place. */
function deleteOrphans(specDir: string, changes: readonly Change[]): void {
  for (const c of changes) {
    if (c.kind !== 'delete') continue;
    const abs = path.resolve(specDir, c.file);
    try {
      // Only a regular file (planSync read it as one): never a directory that took its place.
      if (statKind(abs, false) === 'file') unlinkSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFault(abs, e, c.file);
    }
  }
}

/**
 * Start `start(i)` for i = 0, 1, ... count-1 in that order, with at most
 * `limit` of them unsettled at a time. After a failure nothing more starts;
 * once every started one has settled, the failure of the lowest index is
 * thrown (the same one whatever the timing, when the same files fail).
 */
async function inOrder(count: number, limit: number, start: (i: number) => Promise<void>): Promise<void> {
  let failed: { i: number; e: unknown } | undefined;
  const fail = (i: number, e: unknown) => {
    if (!failed || i < failed.i) failed = { i, e };
  };
  const unsettled = new Set<Promise<void>>();
  for (let i = 0; i < count && !failed; i++) {
    let started: Promise<void>;
    try {
      started = start(i);
    } catch (e) {
      fail(i, e);
      break;
    }
    const settled: Promise<void> = started
      .then(
        () => undefined,
        (e: unknown) => fail(i, e),
      )
      .finally(() => unsettled.delete(settled));
    unsettled.add(settled);
    if (unsettled.size >= limit) await Promise.race(unsettled);
  }
  await Promise.all(unsettled);
  if (failed) throw failed.e;
}
