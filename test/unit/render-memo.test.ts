// A template's renderer remembers its last few checked renders (src/render/template.ts,
// RENDER_MEMO): a cell whose first render has the same marked text and marks as a
// recent one skips the directive and placement checks. That may never change an
// answer: for any sequence of contexts, a remembering renderer returns the same
// text, or throws the same error, as a renderer that checks every render.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type ParsedTemplate, parseTemplate, RENDER_MEMO, wrap } from '../../src/render/template.js';
import { REPO_ROOT } from '../helpers/tree.js';

const FRONT = ['{{!--', 'description: test', 'params:', '  x:', '    default: "v"', '  y:', '    default: "w"', '--}}'].join('\n');

/** Templates whose answer depends on the values in ways the checks see: quotes, options, directives, escape characters. */
const CUSTOM = [
  `${FRONT}\nFROM {{word with.x}}\nRUN tool {{sh with.y}}\n`,
  `${FRONT}\n{{#if (eq matrix.e "yes")}}# escape=\`\n{{/if}}FROM {{word with.x}}\nRUN a \\\n  {{sh with.y}}\n`,
  `${FRONT}\nFROM x\n{{#if (eq matrix.e "yes")}}RUN echo "{{sh with.x}}"{{else}}RUN echo {{sh with.x}}{{/if}}\n`,
  `${FRONT}\n{{#if (eq matrix.e "yes")}}# syntax={{word with.y}}\n{{/if}}FROM x\nCMD {{json with.x}}\n`,
  `${FRONT}\nFROM x\nRUN {{#each args}}{{sh this}} {{/each}}{{sh with.x}}\n`,
];
const BUILTIN = readdirSync(path.join(REPO_ROOT, 'templates'))
  .filter((n) => n.endsWith('.Dockerfile.hbs'))
  .map((n) => readFileSync(path.join(REPO_ROOT, 'templates', n), 'utf8'));

const value = fc.constantFrom('v', 'app', '-rf', '--x', 'a b', "it's", 'a"b', '$(id)', '`x`', '', 'golang:1.22', 'a\\b');
const context = fc.record({
  x: value,
  y: value,
  e: fc.boolean(),
  args: fc.array(fc.constantFrom('A', 'B', 'VARIANT'), { maxLength: 2 }),
});

/** The template's defaults, its first two string parameters set to x and y. */
function withValues(t: ParsedTemplate, c: { x: string; y: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(t.meta.params)) out[k] = typeof p.default === 'string' ? p.default.replace(/\{[a-z_]+\}/g, '1') : (p.default ?? []);
  const strings = Object.keys(out).filter((k) => typeof out[k] === 'string');
  if (strings[0]) out[strings[0]] = c.x;
  if (strings[1]) out[strings[1]] = c.y;
  return out;
}

function outcome(t: ParsedTemplate, c: { x: string; y: string; e: boolean; args: string[] }): string {
  try {
    const ctx = { service: 's', target: 's', with: withValues(t, c), matrix: { e: c.e ? 'yes' : '' }, args: c.args, dependencies: [], registry: '' };
    return `ok:${t.render(wrap(ctx) as object)}`;
  } catch (e) {
    const err = e as { name: string; message: string; line?: number; column?: number };
    return `${err.name}:${err.line}:${err.column}:${err.message}`;
  }
}

function parsed(source: string, remember: boolean): ParsedTemplate {
  RENDER_MEMO.enabled = remember;
  try {
    return parseTemplate('t.hbs', source);
  } finally {
    RENDER_MEMO.enabled = true;
  }
}

afterEach(() => {
  RENDER_MEMO.enabled = true;
});

describe('a renderer that remembers answers as one that checks every render', () => {
  it.each([...CUSTOM.map((s, i) => [`custom ${i}`, s]), ...BUILTIN.map((s, i) => [`built-in ${i}`, s])])('%s', (_name, source) => {
    fc.assert(
      fc.property(fc.array(context, { minLength: 1, maxLength: 12 }), (contexts) => {
        const remembering = parsed(source, true);
        const checking = parsed(source, false);
        // Each context twice in a row, as the cells of a service render: the second is a remembered one.
        for (const c of contexts.flatMap((c) => [c, c])) expect(outcome(remembering, c)).toBe(outcome(checking, c));
      }),
      { numRuns: 60 },
    );
  });
});

// A large spec renders each Dockerfile again to write it (src/render/files.ts),
// with renderAgain, which skips the checks: for a context `render` accepted,
// it must give the same text (files.ts compares the two by digest as well).
describe('renderAgain gives the text render gave', () => {
  it.each([...CUSTOM.map((s, i) => [`custom ${i}`, s]), ...BUILTIN.map((s, i) => [`built-in ${i}`, s])])('%s', (_name, source) => {
    fc.assert(
      fc.property(fc.array(context, { minLength: 1, maxLength: 8 }), (contexts) => {
        const t = parsed(source, true);
        for (const c of contexts) {
          const first = outcome(t, c);
          if (!first.startsWith('ok:')) continue;
          const ctx = { service: 's', target: 's', with: withValues(t, c), matrix: { e: c.e ? 'yes' : '' }, args: c.args, dependencies: [], registry: '' };
          expect(`ok:${t.renderAgain(wrap(ctx) as object)}`).toBe(first);
        }
      }),
      { numRuns: 60 },
    );
  });
});
