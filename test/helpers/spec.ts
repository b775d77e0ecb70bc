// Compile a spec written inline into a temp repository, through the real pipeline.
import path from 'node:path';
import { compile, type CompileResult } from '../../src/compile.js';
import type { Diagnostic } from '../../src/diagnostics.js';
import { loadSpec, type LoadedSpec } from '../../src/load/load.js';
import { repoRootOf } from '../../src/paths.js';
import { tempRepo, type Tree } from './tree.js';

export type Compiled = CompileResult & {
  dir: string;
  source: string;
};

/**
 * Writes `tree` plus `matrix.yaml` (= `source`) into a fresh repository and
 * compiles it. `specAt` puts the spec in a subdirectory.
 */
export function compileSpec(source: string, tree: Tree = {}, opts: { specAt?: string; validateOnly?: boolean } = {}): Compiled {
  const specRel = opts.specAt ? `${opts.specAt}/matrix.yaml` : 'matrix.yaml';
  const dir = tempRepo({ ...tree, [specRel]: source });
  const specPath = path.join(dir, specRel);
  const result = compile({
    specPath,
    displayName: specRel,
    source,
    repoRoot: repoRootOf(path.dirname(specPath)),
    cwd: process.cwd(),
    ...(opts.validateOnly ? { validateOnly: true } : {}),
  });
  return { ...result, dir, source };
}

export function load(source: string): LoadedSpec {
  return loadSpec('matrix.yaml', source);
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
export function pos(text: string, needle: string, nth = 0): { line: number; column: number } {
  let idx = -1;
  for (let i = 0; i <= nth; i++) {
    idx = text.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`${JSON.stringify(needle)} occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, idx);
  const line = before.split('\n').length;
  return { line, column: idx - before.lastIndexOf('\n') };
}

/** The parts of diagnostics tests assert on: code and position (never message text). */
export function brief(ds: readonly Diagnostic[]): { code: string; line: number; column: number }[] {
  return ds.map((d) => ({ code: d.code, line: d.line, column: d.column }));
}

/** A minimal Go-template service tree: `dirs` each get a go.mod. */
export function goDirs(...dirs: string[]): Tree {
  return Object.fromEntries(dirs.map((d) => [`${d}/go.mod`, 'module example.com/x\n']));
}

/**
 * A spec of go services with every kind of output bake's --push treats apart
 * (none; a local export; a tar export beside an image; cacheonly), and
 * `extra` service lines after them; its tree gives each service dir a go.mod.
 */
export function exportSpecSource(extra: readonly string[] = []): { source: string; tree: Tree } {
  const lines = [
    'version: 1',
    'platforms: [linux/amd64]',
    'services:',
    '  api:',
    '    context: api',
    '    template: go',
    '    tags: ["localhost:5000/acme/api:1"]',
    '  bin:',
    '    context: bin',
    '    template: go',
    '    tags: ["localhost:5000/acme/bin:1"]',
    '    output: ["type=local,dest=dist/"]',
    '  both:',
    '    context: both',
    '    template: go',
    '    tags: ["localhost:5000/acme/both:1"]',
    '    output: ["type=tar,dest=out/both.tar", "type=image"]',
    '  noimage:',
    '    context: noimage',
    '    template: go',
    '    output: ["type=cacheonly"]',
    ...extra,
    '',
  ];
  const dirs = lines.map((l) => /^ {4}context: (\S+)$/.exec(l)?.[1]).filter((d): d is string => d !== undefined);
  return { source: lines.join('\n'), tree: Object.fromEntries(dirs.map((d) => [`${d}/go.mod`, 'module x\n'])) };
}
