// The README documents every parameter of every built-in template from the
// same source as `matrix templates` (the templates' front matter), issue 15
// "each template's parameters (from the same source as `matrix templates`)".
// When they drift this fails; `MATRIX_UPDATE_README=1` rewrites the block.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinMetas, templatesMarkdown } from '../../src/cli/templates.js';
import { PARAM_KINDS } from '../../src/validate/params.js';
import { REPO_ROOT } from '../helpers/tree.js';

const README = path.join(REPO_ROOT, 'README.md');
const BEGIN = '<!-- templates:params:begin (generated from the templates front matter; MATRIX_UPDATE_README=1 npx vitest run test/unit/template-readme.test.ts) -->\n';
const END = '<!-- templates:params:end -->';

describe('README template parameters', () => {
  it('the block between the markers is what the front matter says', () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect(start, 'README has no templates:params block').toBeGreaterThan(0);
    const want = `\n${templatesMarkdown()}`;
    if (process.env.MATRIX_UPDATE_README === '1') writeFileSync(README, text.slice(0, start + BEGIN.length) + want + text.slice(end));
    else expect(text.slice(start + BEGIN.length, end)).toBe(want);
  });

  it('names every parameter of every built-in, and every kind in the kinds table', () => {
    const text = readFileSync(README, 'utf8');
    for (const [name, meta] of builtinMetas()) for (const p of Object.keys(meta.params)) expect(text, `${name}.${p}`).toContain(`| \`${p}\` |`);
    for (const k of PARAM_KINDS) expect(text, k).toMatch(new RegExp(`^\\| \`${k}\` \\|`, 'm'));
  });
});
