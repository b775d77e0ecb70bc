// Diagnostics have one constructor, `diagnostic()` in src/diagnostics.ts (and
// the helpers built on it: specDiagnostic, userError): it fills the defaults
// and keeps every diagnostic the same shape. This test reads every file of
// src/ with the TypeScript parser and fails on an object literal that looks
// like a diagnostic (a `code` and a `message` beside a `severity`, `file`,
// `line`, `column`, `path` or a spread of them) built anywhere else, unless it is the argument
// of `diagnostic(...)` itself.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const SRC = path.join(REPO_ROOT, 'src');
const WHERE = new Set(['severity', 'file', 'line', 'column', 'path']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function propertyNames(node: ts.ObjectLiteralExpression): Set<string> {
  const names = new Set<string>();
  for (const p of node.properties) if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) names.add(p.name.text);
  return names;
}

function isConstructorArgument(node: ts.Node): boolean {
  const call = node.parent;
  return ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === 'diagnostic';
}

/** `file:line` of every diagnostic-shaped literal outside the constructor. */
export function handBuiltDiagnostics(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isObjectLiteralExpression(node) && !isConstructorArgument(node)) {
      const names = propertyNames(node);
      const placed = [...names].some((n) => WHERE.has(n)) || node.properties.some(ts.isSpreadAssignment);
      if (names.has('code') && names.has('message') && placed) out.push(`${path.relative(REPO_ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('diagnostics are built by diagnostic() only', () => {
  it('no file of src/ but src/diagnostics.ts builds a diagnostic object by hand', () => {
    const found = sourceFiles(SRC)
      .filter((f) => f !== path.join(SRC, 'diagnostics.ts'))
      .flatMap((f) => handBuiltDiagnostics(f, readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('the scan finds the hand-built forms it is meant to refuse', () => {
    const text = [
      "out.push({ code: 'x', severity: 'error', file, line: 0, column: 0, path: '', message, hint });",
      "return { ...base, ...where(path), code: 'empty', message: 'm', path: 'p' };",
      "const ok = diagnostic({ code: 'x', file, message: 'm' });",
      "const problem = { node, code: 'x', message: 'm', hint: 'h' };",
      'diagnostics.push({ ...base, ...at(offset), code, message, hint });',
    ].join('\n');
    expect(handBuiltDiagnostics(path.join(SRC, 'x.ts'), text)).toEqual(['src/x.ts:1', 'src/x.ts:2', 'src/x.ts:5']);
  });
});
