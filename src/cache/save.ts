// Recording a run of gen's compile and comparison (src/cli/gen-run.ts), and
// saving what it read when it found every file up to date.
import path from 'node:path';
import type { Io, SpecLocation } from '../cli/io.js';
import { isRecording, recording } from '../fs/recorder.js';
import { recordingEnv, type EnvReads } from './env.js';
import { cacheEnabled, VALIDATE_KIND } from './answer.js';
import { specIsLarge } from './large.js';
import { saveManifest } from './manifest.js';
import { type Counts, headerFor, recordText } from './record.js';
import { recordPath, sealPath, writeRecord } from './store.js';
import { readRegularBytes } from '../fs/read.js';
import { SEAL_READ } from './record.js';

export interface RunRecord {
  observations: ReadonlyMap<string, string>;
  env: EnvReads;
  /** Every read written down, none changed during the run, nothing printed on stderr (warnings are not replayed). */
  usable: boolean;
}

/**
 * Run `fn` with an Io whose environment and stderr are watched and every file
 * read recorded. `echoStderr`: pass what it prints on (false: a second run
 * whose warnings the user saw already). Without recording (one is under way,
 * in a test's process) the record is undefined.
 */
export async function recorded<T>(io: Io, echoStderr: boolean, fn: (io: Io) => T): Promise<{ value: T; record?: RunRecord }> {
  const env: EnvReads = new Map();
  let printed = false;
  const watched: Io = {
    ...io,
    env: recordingEnv(io.env, env),
    stderr: { write: (s: string) => ((printed = true), echoStderr ? io.stderr.write(s) : true) },
  };
  if (isRecording()) return { value: fn(io) };
  // The seal first (store.ts sealPath): a record that did not read it is never used.
  const seal = sealPath(io.env, true);
  let sealed = false;
  const r = await recording(async () => {
    if (seal !== undefined) {
      try {
        readRegularBytes(seal, SEAL_READ);
        sealed = true;
      } catch {
        /* no seal: the run goes on, and keeps no record */
      }
    }
    return fn(watched);
  });
  return { value: r.value, record: { observations: r.observations, env, usable: r.complete && !printed && sealed } };
}

/**
 * `fn` recorded when this run may keep a record (the cache on, and the spec
 * not large: src/cache/large.ts), else run as it is, with no record.
 */
export async function recordedWhenKept<T>(io: Io, opts: { spec?: string | undefined; cache?: boolean }, fn: (io: Io) => T): Promise<{ value: T; record?: RunRecord }> {
  return cacheEnabled(io, opts) && !specIsLarge(io, opts.spec) ? recorded(io, true, fn) : { value: fn(io) };
}

/** Save a usable record of a run that found the files `upToDate` (spec-relative) up to date; a failure to save only loses the record. */
export function saveRecord(io: Io, spec: string | undefined, loc: SpecLocation, upToDate: readonly string[], counts: Counts, record: RunRecord | undefined): void {
  if (!record?.usable) return;
  const file = recordPath(loc.specPath, loc.repoRoot, io.env, true);
  const outputs = upToDate.map((f) => path.resolve(loc.specDir, f));
  if (!file) return;
  const header = headerFor(io.cwd, spec, loc.specPath);
  const saved = writeRecord(file, recordText(header, outputs, counts, record.env, record.observations));
  // The same record as checks for bin/matrix-hook (src/cache/manifest.ts), or none.
  saveManifest(file, saved ? { header, upToDate: outputs.length, outputs, env: [...record.env], observations: record.observations } : undefined);
}

/**
 * Save the record of a `validate` that compiled the spec with no diagnostic
 * (src/cache/answer.ts cachedValidation): its reads and its counts, no file
 * counted as up to date, no manifest for the hook. A failure to save only loses the record.
 */
export function saveValidation(io: Io, spec: string | undefined, loc: SpecLocation, counts: Counts, record: RunRecord | undefined): void {
  if (!record?.usable) return;
  const file = recordPath(loc.specPath, loc.repoRoot, io.env, true, VALIDATE_KIND);
  if (file) writeRecord(file, recordText(headerFor(io.cwd, spec, loc.specPath), [], counts, record.env, record.observations));
}
