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

/**
 * The README's short platform lists, expanded: `amd64 (v1-v4)` is amd64 and amd64/v2 to v4
 * (v1 is plain amd64, containerd's name), `arm/v5-v7` is arm/v5, v6 and v7, and
 * `darwin, windows, freebsd (amd64, arm64)` each OS with each architecture.
 */
function expandPlatforms(cell: string): string[] {
  if (!cell) return [];
  const crossed = /^([a-z, ]+) \(([^)]*)\)$/.exec(cell);
  if (crossed) return crossed[1]!.split(', ').flatMap((os) => crossed[2]!.split(', ').map((arch) => `${os}/${arch}`));
  const [os, list] = cell.split(': ');
  return list!.split(', ').flatMap((item) => {
    const levels = /^(\S+) \(v(\d)-v(\d)\)$/.exec(item) ?? /^(\S+)\/v(\d)-v(\d)$/.exec(item);
    if (!levels) return [`${os}/${item}`];
    const out: string[] = [];
    // amd64's v1 is plain amd64 (containerd's name); arm's variants are all written.
    for (let v = Number(levels[2]); v <= Number(levels[3]); v++) out.push(item.includes(' (') && v === 1 ? `${os}/${levels[1]}` : `${os}/${levels[1]}/v${v}`);
    return out;
  });
}

describe('README templates table (`| template | heavy stage | base image args | images for | files only |`)', () => {
  const text = readFileSync(README, 'utf8');
  const rows = new Map(
    text
      .split('\n')
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      )
      .filter((cells) => cells.length === 5 && /^`[a-z]+`$/.test(cells[0]!) && /^(linux: |$)/.test(cells[3]!))
      .map((cells) => [cells[0]!.slice(1, -1), cells] as const),
  );

  it('has a row for every built-in template', () => {
    expect([...rows.keys()]).toEqual(builtinMetas().map(([name]) => name));
  });

  it.each(builtinMetas().map(([name, meta]) => [name, meta] as const))('%s: platforms as its front matter declares, base image args as its Dockerfile declares', (name, meta) => {
    const cells = rows.get(name)!;
    expect(expandPlatforms(cells[3]!).sort()).toEqual([...(meta.platforms?.image ?? [])].sort());
    expect(expandPlatforms(cells[4]!).sort()).toEqual([...(meta.platforms?.output ?? [])].sort());
    const source = readFileSync(path.join(REPO_ROOT, 'templates', `${name}.Dockerfile.hbs`), 'utf8');
    const declared = [...source.matchAll(/^ARG ([A-Z_]+_IMAGE)=/gm)].map((m) => m[1]!);
    expect([...cells[2]!.matchAll(/`([A-Z_]+_IMAGE)`/g)].map((m) => m[1]!).sort()).toEqual(declared.sort());
  });
});
