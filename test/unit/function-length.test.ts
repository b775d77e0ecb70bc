// No function a reader has to scroll: every function, method, arrow and
// accessor in src/ spans at most MAX_LINES lines (first line to last, as
// written). The TypeScript parser finds them; a nested function counts on its
// own and also within the one around it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const MAX_LINES = 60;

/**
 * Functions still longer, each owned by another branch this session; the
 * integrator removes an entry when its function is split. Nothing is added here.
 */
const ALLOWED = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) return node.name.text;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name))) return parent.name.text;
  return '(anonymous)';
}

/** `file name: lines` of every function longer than MAX_LINES lines. */
export function longFunctions(file: string, text: string): { id: string; lines: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { id: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const first = source.getLineAndCharacterOfPosition(fn.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(fn.getEnd()).line;
      if (last - first + 1 > MAX_LINES) out.push({ id: `${path.relative(REPO_ROOT, file).split(path.sep).join('/')} ${nameOf(fn)}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const found = sourceFiles(path.join(REPO_ROOT, 'src')).flatMap((f) => longFunctions(f, readFileSync(f, 'utf8')));

describe(`no function in src/ is longer than ${MAX_LINES} lines`, () => {
  it('every longer function is on the allowed list of functions being split', () => {
    expect(found.filter((f) => !ALLOWED.has(f.id)).map((f) => `${f.id} (${f.lines} lines)`)).toEqual([]);
  });

  it('the allowed list names only functions that are still too long', () => {
    const ids = new Set(found.map((f) => f.id));
    expect([...ALLOWED].filter((id) => !ids.has(id))).toEqual([]);
  });

  it('counts a function from its first line to its last, arrows and methods included', () => {
    const body = Array.from({ length: MAX_LINES - 2 }, (_, i) => `  x(${i});`).join('\n');
    const text = `function ok() {\n${body}\n}\nconst long = () => {\n${body}\n  y();\n};\nclass C {\n  m() {\n${body}\n  z();\n  }\n}\n`;
    expect(longFunctions(path.join(REPO_ROOT, 'src/x.ts'), text)).toEqual([
      { id: 'src/x.ts long', lines: MAX_LINES + 1 },
      { id: 'src/x.ts m', lines: MAX_LINES + 1 },
    ]);
  });
});
