// What is at an output path now, and whether `gen` may replace it. One check,
// used by `gen` (sync.ts, just before writing) and by resolve (so `validate`
// fails on exactly the outputs `gen` would refuse, at the spec line that named
// them: resolve/generated.ts).
import path from 'node:path';
import type { DiagnosticCode } from '../diagnostics.js';
import { assumeKind, statKind } from '../fs/probe.js';
import { assumeRead, readRegularText } from '../fs/read.js';
import { isInside, nearestReal } from '../paths.js';
import { isGenerated } from '../render/header.js';
import { textDigest } from './digest.js';

/** The spec dir, and the repository root as given and as its real path. */
export interface OutputWhere {
  specDir: string;
  repoRoot: string;
  realRoot: string;
}

export type OutputState =
  | { kind: 'outside' }
  | { kind: 'missing' }
  /** A regular file: `ours` when it carries the generated header (or is empty: a write cut short leaves one; claimEmpty). */
  | { kind: 'file'; text: string; ours: boolean; digest?: undefined }
  /** The same, kept as its content's digest (output/digest.ts) when many are held at once (resolve's `outputs`); a bake file with its manifest. */
  | { kind: 'file'; digest: string; ours: boolean; text?: undefined; manifest?: readonly string[] }
  | { kind: 'dir' | 'symlink' | 'other' };

/** Larger files at an output path are read no further (nothing matrix generates comes near). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** How outputState reads a regular file at an output path: not through a link, up to the limit. */
const OUTPUT_READ = { followSymlinks: false, maxBytes: MAX_OUTPUT_BYTES } as const;

/** What is at spec-relative `file`. `realDirs` caches directory lookups across calls. */
export function outputState(where: OutputWhere, file: string, realDirs = new Map<string, string | undefined>()): OutputState {
  const abs = path.resolve(where.specDir, file);
  // The directory an output lands in must really be inside the repository
  // (checked on its nearest existing ancestor when it is still to be created).
  const dir = path.dirname(abs);
  if (!realDirs.has(dir)) realDirs.set(dir, nearestReal(dir));
  const parentReal = realDirs.get(dir);
  if (!parentReal || !isInside(where.realRoot, parentReal) || !isInside(path.resolve(where.repoRoot), abs)) return { kind: 'outside' };
  let kind;
  try {
    kind = statKind(abs, false);
  } catch {
    return { kind: 'missing' };
  }
  if (kind === 'symlink' || kind === 'dir') return { kind };
  if (kind !== 'file') return { kind: 'other' };
  const text = readRegularText(abs, OUTPUT_READ);
  return { kind: 'file', text, ours: text === '' || isGenerated(text) };
}

/**
 * While recording: note the reads outputState makes of a regular file at
 * `abs` whose text has `digest` (output/digest.ts textDigest), without making
 * them. For a file this run has just written (src/cli/gen-run.ts): what an
 * up-to-date run reads there is what was written, and reading every file back
 * was most of the cost of keeping a record after a write. The directory's
 * real path, the one other read outputState makes, the caller asks again.
 */
export function assumeOutputFile(abs: string, digest: string): void {
  assumeKind(abs, false, 'file');
  assumeRead(abs, OUTPUT_READ, digest);
}

/**
 * An empty file at a Dockerfile's output path is matrix's only when the bake
 * file's manifest lists that path (a write cut short by a power failure leaves
 * one: matrix does not fsync, see applySync); any other empty file is
 * someone's (`__init__.py`, a placeholder) and is never taken over.
 */
export function claimEmpty(state: OutputState, listed: boolean): OutputState {
  return state.kind === 'file' && state.text === '' && !listed ? { ...state, ours: false } : state;
}

/** The state without the file's text: its digest stands for it (and for a bake file, `manifest`: the files it lists). */
export function withoutText(state: OutputState, manifest = false): OutputState {
  if (state.kind !== 'file' || state.text === undefined) return state;
  return { kind: 'file', digest: textDigest(state.text), ours: state.ours, ...(manifest ? { manifest: previousManifest(state.text) } : {}) };
}

/** Files a previous `gen` recorded in the bake file's header. */
export function previousManifest(bakeText: string | undefined): string[] {
  if (!bakeText || !isGenerated(bakeText)) return [];
  // The header: line by line up to the first block (the rest of a large file is never split).
  let headerEnd = bakeText.length;
  for (let at = 0; at < bakeText.length; ) {
    const end = bakeText.indexOf('\n', at);
    if (bakeText.startsWith('group ', at) || bakeText.startsWith('target ', at)) {
      headerEnd = at;
      break;
    }
    at = end < 0 ? bakeText.length : end + 1;
  }
  // Its names from a copy of the header alone: a name sliced from the whole
  // text keeps all of it alive (V8's sliced strings hold their parent), the
  // old bake file's 8 MB at 10,000 services for as long as the manifest lives.
  const header = Buffer.from(bakeText.slice(0, headerEnd), 'utf8').toString('utf8');
  const out: string[] = [];
  for (const line of header.split('\n')) if (line.startsWith('# generated: ')) out.push(line.slice('# generated: '.length));
  return out;
}

export interface Refusal {
  code: DiagnosticCode;
  message: string;
  hint: string;
}

/** Why `gen` will not write `file` over what is there, or undefined when it may. */
export function refusal(file: string, state: OutputState, isBakeFile: boolean): Refusal | undefined {
  if (state.kind === 'missing' || (state.kind === 'file' && state.ours)) return undefined;
  if (state.kind === 'outside') {
    return { code: 'output-outside-repo', message: `output ${file} would be written outside the repository`, hint: 'check for symbolic links in the path of the context' };
  }
  if (state.kind === 'file' && state.text === '') {
    return {
      code: 'not-generated',
      message: `${file} exists (empty) and was not generated by matrix; it will not be overwritten`,
      hint: 'matrix takes over an empty file only where its bake file lists it (a crash can leave one empty); if that is what happened, remove it and run `matrix gen` again',
    };
  }
  if (state.kind === 'file') {
    return {
      code: 'not-generated',
      message: `${file} exists and was not generated by matrix; it will not be overwritten`,
      hint: isBakeFile
        ? 'move it away, or set `bake_file` in the spec to another name'
        : "use it as the service's `dockerfile:` instead of a template, or write the generated one elsewhere: `generated_dir: .matrix` under `defaults` (one folder outside the contexts) or `generated_file:` on the service",
    };
  }
  return {
    code: 'output-not-a-file',
    message: `${file} is a ${state.kind === 'dir' ? 'directory' : state.kind === 'symlink' ? 'symbolic link' : 'special file'}; matrix will not replace it`,
    hint: isBakeFile ? 'remove it, or set `bake_file` in the spec to another name' : 'remove it, or choose another place with `generated_file` or `generated_dir`',
  };
}
