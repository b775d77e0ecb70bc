// The README is the reference a new user reads first: it must list every key the
// schema accepts (top level and per service) and link every page under docs/.
// The schema is the source of truth; a key added there without a README row fails here.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tree.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
interface Props {
  properties: Record<string, unknown>;
}
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'matrix.schema.json'), 'utf8')) as Props & { properties: { services: { additionalProperties: Props } } };

/** Keys in the first column of the table that follows `heading` (a line of its own). */
function tableKeys(heading: string): string[] {
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README has no "${heading}" table`).toBeGreaterThan(0);
  const rows = readme.slice(at + heading.length + 2).split('\n');
  const keys: string[] = [];
  let seen = false;
  for (const row of rows) {
    if (!row.startsWith('|')) {
      if (seen) break;
      continue;
    }
    seen = true;
    const key = /^\| `([a-z_]+)` \|/.exec(row);
    if (key) keys.push(key[1]!);
  }
  return keys;
}

describe('README reference', () => {
  it('lists every top-level key of the schema, and no other', () => {
    expect(tableKeys('Top level:').sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it('lists every service key of the schema, and no other', () => {
    expect(tableKeys('Service:').sort()).toEqual(Object.keys(schema.properties.services.additionalProperties.properties).sort());
  });

  it('links every page under docs/', () => {
    for (const page of readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))) expect(readme, page).toContain(`](docs/${page})`);
  });
});
