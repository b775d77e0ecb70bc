// The README's performance table and docs/benchmarks.md come from the same
// `npm run bench` run (issue 18: "docs/benchmarks.md and the README's
// performance section from the same run"): scripts/bench.mjs writes both, and
// this fails when either was edited, or written by another run, alone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const report = readFileSync(path.join(REPO_ROOT, 'docs', 'benchmarks.md'), 'utf8');

const START = '<!-- bench:summary: written by `npm run bench` with docs/benchmarks.md, from the same run; do not edit -->';
const END = '<!-- /bench:summary -->';

/** The lines of the first table that starts with `header`. */
function tableAfter(text: string, header: string): string[] {
  const lines = text.split('\n');
  const at = lines.indexOf(header);
  expect(at, `no table with the header ${header}`).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (const line of lines.slice(at)) {
    if (!line.startsWith('|')) break;
    out.push(line);
  }
  return out;
}

/** A row of the report's environment table. */
function field(name: string): string {
  const m = new RegExp(`^\\| ${name.replace(/[()]/g, '\\$&')} \\| (.+) \\|$`, 'm').exec(report);
  expect(m, `docs/benchmarks.md has no "${name}" row`).not.toBeNull();
  return m![1]!;
}

describe('README Performance and docs/benchmarks.md', () => {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const block = readme.slice(start, end);

  it('the README holds one summary block, inside its Performance section', () => {
    expect(start).toBeGreaterThan(readme.indexOf('\n## Performance\n'));
    expect(end).toBeGreaterThan(start);
    expect(readme.indexOf(START, start + 1)).toBe(-1);
    expect(readme.slice(start, readme.indexOf('\n## ', start))).toContain(END);
  });

  it('has the same table as docs/benchmarks.md, row for row', () => {
    const header = '| # | measure | figure | goal | met |';
    const rows = tableAfter(report, header);
    expect(rows.length).toBeGreaterThan(2);
    expect(tableAfter(block, header)).toEqual(rows);
  });

  it('names the same run: its date, machine and Node', () => {
    const line = block.split('\n').find((l) => l.startsWith('The last run: '));
    expect(line).toBeDefined();
    expect(line).toContain(`${field('date')}, `);
    expect(line).toContain(`${field('machine').split(', ')[0]}, `);
    expect(line).toContain(`Node ${field('node')}, `);
    expect(line).toContain(`load average ${/^(.+) at the start/.exec(field('load average (1, 5, 15 min)'))![1]} at the start`);
  });

  it('counts the goals met as the table says', () => {
    const rows = tableAfter(report, '| # | measure | figure | goal | met |').slice(2);
    const measured = rows.filter((r) => !r.endsWith('| n/a |'));
    const met = measured.filter((r) => r.endsWith('| yes |')).length;
    expect(block).toContain(` ${met} of ${measured.length} goals met.`);
  });

  // Figures of a run written by hand beside the block outlive the run: the section once said
  // "4.22x" and "1.05x" under a table that had moved on to 3.40x and 1.02x.
  it('states no ratio or time of a run outside the block', () => {
    const section = readme.slice(readme.indexOf('\n## Performance\n'), readme.indexOf('\n## ', readme.indexOf('\n## Performance\n') + 1));
    const outside = section.replace(section.slice(section.indexOf(START), section.indexOf(END) + END.length), '');
    expect(outside).toContain('Where the speed comes from'); // the right section
    expect(outside.match(/\b\d+(?:\.\d+)?x\b|\b\d+(?:\.\d+)? ?(?:ms|s) (?:CPU|wall)\b/g) ?? []).toEqual([]);
  });
});
