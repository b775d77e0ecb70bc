// Nothing the compile reads escapes the records of gen and plan (src/cache/):
// every module `gen`, `gen --check`, `validate` and `plan` load (their static and
// dynamic imports, followed through src/) reads the file system only through
// the recording adapters src/fs/read.ts and src/fs/probe.ts, and the
// environment only through Io. A module that imported node:fs to read (or
// reached it another way) would make the cache answer from a record that
// misses what it read. Parsed with the TypeScript parser, as
// test/unit/function-length.test.ts does.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const ENTRIES = ['src/cli/gen.ts', 'src/cli/validate.ts', 'src/cli/plan-entry.ts'];

const FS_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises']);

/** Functions of node:fs that only write or create (never tell the program what is on disk). */
const WRITE_ONLY = new Set(['mkdirSync', 'unlinkSync', 'renameSync', 'writeSync', 'writeFileSync', 'linkSync', 'rmSync', 'rmdirSync', 'mkdtempSync', 'closeSync', 'constants']);

/** Modules that may read the file system directly, and why. */
const READERS: Record<string, string> = {
  'src/fs/read.ts': 'the recording adapter for file bytes',
  'src/fs/probe.ts': 'the recording adapter for everything but bytes',
  'src/fs/path-memo.ts': 'lstat and realpath for the two recording adapters above, remembered only within a phase that writes nothing (a compile, a comparison, a replay)',
  'src/cache/store.ts': "the cache's own record and its private directory: not an input of the compile",
  'src/cache/manifest.ts': 'stats the running Node binary for the manifest, after the recorded run: not an input of the compile',
  'src/output/lock.ts': "gen's lock, taken only to write: no recorded run takes it",
  'src/cli/faults.ts': 'names a fault on the error path (getBuiltinModule): a failed run saves no record',
  'src/fs/write.ts': "opens only to create a new file (O_CREAT | O_EXCL) and write it; and the mode of the file it replaces (keepMode), in gen's write phase: no recorded run writes",
  'src/fs/stale.ts': "lists an output directory in gen's write phase, for the temporary files of killed runs: no recorded run writes",
  'src/fs/temp.ts': 'os.tmpdir() on Windows only; the temp dir otherwise comes from Io.env',
};

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const abs = path.resolve(path.dirname(from), spec.replace(/\.js$/, '.ts'));
  return existsSync(abs) ? abs : undefined;
}

interface Found {
  imports: { module: string; names: string[] | 'all' }[];
  local: string[];
  /** Other ways to the outside: getBuiltinModule, process.env, process.cwd(), os.homedir(). */
  escapes: string[];
}

function importedNames(clause: ts.ImportClause | undefined): string[] | 'all' {
  if (!clause) return [];
  if (clause.name || !clause.namedBindings || ts.isNamespaceImport(clause.namedBindings)) return 'all';
  return clause.namedBindings.elements.map((e) => (e.propertyName ?? e.name).text);
}

function scan(file: string): Found {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Found = { imports: [], local: [], escapes: [] };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly : node.isTypeOnly;
      if (!typeOnly) {
        const names = ts.isImportDeclaration(node) ? importedNames(node.importClause) : 'all';
        found.imports.push({ module: node.moduleSpecifier.text, names });
        const local = resolveImport(file, node.moduleSpecifier.text);
        if (local) found.local.push(local);
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) {
      const spec = (node.arguments[0] as ts.StringLiteral).text;
      found.imports.push({ module: spec, names: 'all' });
      const local = resolveImport(file, spec);
      if (local) found.local.push(local);
    }
    if (ts.isPropertyAccessExpression(node)) {
      const text = node.getText(source);
      if (/^process\.(env|cwd|getBuiltinModule|binding)$/.test(text) || text === 'os.homedir') found.escapes.push(text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every src module reachable from the entries. */
function closure(): Map<string, Found> {
  const seen = new Map<string, Found>();
  const todo = ENTRIES.map((e) => path.join(REPO_ROOT, e));
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    const found = scan(f);
    seen.set(f, found);
    todo.push(...found.local);
  }
  return seen;
}

/** What a module does that a module of the compile path must not. */
export function violations(rel: string, found: Found): string[] {
  if (READERS[rel]) return [];
  const out: string[] = [];
  for (const imp of found.imports) {
    if (FS_MODULES.has(imp.module)) {
      const reading = imp.names === 'all' ? ['(the whole module)'] : imp.names.filter((n) => !WRITE_ONLY.has(n));
      if (reading.length) out.push(`${rel} imports ${reading.join(', ')} from ${imp.module}`);
    }
    if (imp.module === 'node:os' || imp.module === 'os') out.push(`${rel} imports ${imp.module} (the home directory: src/fs/probe.ts homeDir)`);
  }
  for (const e of found.escapes) out.push(`${rel} uses ${e}`);
  return out;
}

describe('the compile path reads the outside world only through the recording adapters', () => {
  const modules = closure();
  const rel = (f: string) => path.relative(REPO_ROOT, f).split(path.sep).join('/');

  it('reaches the compiler, the comparison and the cache (the closure is not trivially small)', () => {
    const names = [...modules.keys()].map(rel);
    for (const m of ['src/cli/gen-run.ts', 'src/compile.ts', 'src/resolve/resolve.ts', 'src/output/sync.ts', 'src/validate/secrets.ts', 'src/cache/record.ts', 'src/paths.ts'])
      expect(names).toContain(m);
  });

  it('no module of gen, gen --check or validate imports a reading function of node:fs, node:os, process.env or process.cwd()', () => {
    const problems = [...modules].flatMap(([f, found]) => violations(rel(f), found));
    expect(problems).toEqual([]);
  });

  it('the check itself catches each way around the adapters', () => {
    const fake = (imports: Found['imports'], escapes: string[] = []): Found => ({ imports, local: [], escapes });
    expect(violations('src/x.ts', fake([{ module: 'node:fs', names: ['readFileSync'] }]))).toEqual(['src/x.ts imports readFileSync from node:fs']);
    expect(violations('src/x.ts', fake([{ module: 'fs', names: 'all' }]))).toEqual(['src/x.ts imports (the whole module) from fs']);
    expect(violations('src/x.ts', fake([{ module: 'node:fs', names: ['mkdirSync', 'unlinkSync'] }]))).toEqual([]);
    expect(violations('src/x.ts', fake([], ['process.env']))).toEqual(['src/x.ts uses process.env']);
    expect(violations('src/x.ts', fake([], ['process.getBuiltinModule']))).toEqual(['src/x.ts uses process.getBuiltinModule']);
    expect(violations('src/fs/probe.ts', fake([{ module: 'node:fs', names: ['statSync'] }]))).toEqual([]);
  });
});
