// What a command may touch of the outside world, passed in so tests drive
// `main()` directly with their own streams, cwd and environment.
import { readRegularText } from '../fs/read.js';
import { MAX_SPEC_BYTES } from '../load/load.js';
import { compile, type CompileRendered, type CompileValidated } from '../compile.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { formatDiagnostics, formatStale } from '../output/format.js';
import { locateSpec, type SpecLocation } from './locate.js';
import { sizeText } from '../size-text.js';

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  cwd: string;
  env: Record<string, string | undefined>;
  /** stdout is a terminal (colours, progress). */
  isTTY: boolean;
  /** stdout's width in columns when it is a terminal (help text wraps to it, at most 100). */
  columns?: number | undefined;
}

import { useColor } from './color.js';
export { useColor };
export { locateSpec, SPEC_NAMES, type SpecLocation } from './locate.js';

export function readSpecSource(loc: SpecLocation): string {
  // A regular file, read up to the limit: a FIFO or /dev/zero in its place is refused at once.
  return readRegularText(loc.specPath, {
    maxBytes: MAX_SPEC_BYTES,
    display: loc.displayName,
    tooLargeCode: 'spec-too-large',
    tooLargeAt: { line: 1, column: 1 },
    hint: `the spec must be a regular file of at most ${sizeText(MAX_SPEC_BYTES, 'bytes')} (split it, or check that it is not a generated or binary file)`,
  });
}

/** Load, validate and render; diagnostics become a UserError (exit 2). */
export function compileOrThrow(loc: SpecLocation, validateOnly = false, io?: Io, planning = false): CompileValidated | CompileRendered {
  const source = readSpecSource(loc);
  const result = compile({ specPath: loc.specPath, displayName: loc.displayName, source, repoRoot: loc.repoRoot, cwd: loc.cwd, validateOnly, planning });
  if (!result.ok) throw new SpecError(result.diagnostics, new Map([[loc.displayName, source]]));
  // Warnings do not stop a command; they are printed where the caller passed its streams.
  if (io && result.diagnostics.length) printDiagnostics(io, result.diagnostics, useColor(io), new Map([[loc.displayName, source]]));
  return result;
}

/** A spec's errors, with its text: diagnostics print with the source line and a caret. */
export class SpecError extends UserError {
  constructor(
    diagnostics: Diagnostic[],
    readonly sources: ReadonlyMap<string, string>,
  ) {
    super(diagnostics);
  }
}

export function printDiagnostics(io: Io, ds: readonly Diagnostic[], color: boolean, sources?: ReadonlyMap<string, string>): void {
  io.stderr.write(formatDiagnostics(ds, color, sources));
}

/**
 * Compile, and insist the committed generated files match the spec: commands
 * that build (bake, verify) build what is committed. Returns the exit code 1
 * after saying what is stale, or the compiled spec.
 */
export async function compileCommitted(io: Io, spec: string | undefined, why: string): Promise<{ loc: SpecLocation; result: CompileValidated | CompileRendered } | 1> {
  const loc = locateSpec(io, spec);
  const result = compileOrThrow(loc, false, io);
  const [{ planSync }, { outputOrigins, specInputs }] = await Promise.all([import('../output/sync.js'), import('../output/origins.js')]);
  const sync = planSync(
    loc.specDir,
    loc.repoRoot,
    result.files!,
    result.spec!.bakeFile,
    outputOrigins(result.loaded, result.spec!),
    specInputs(loc.specPath, loc.specDir, result.spec!),
    result.outputs,
  );
  if (sync.diagnostics.length) throw new UserError(sync.diagnostics);
  if (!sync.changes.length) return { loc, result };
  io.stderr.write(formatStale(sync.changes, loc.displayName, why));
  return 1;
}
