// `matrix graph`, and the copy of its output committed in the monorepo sample's README.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { blocks } from '../helpers/fences.js';

const root = path.resolve(__dirname, '../..');
const run = (args: string[]) => matrix(args, path.join(root, 'samples/monorepo'));

describe('matrix graph', () => {
  it('mermaid output is what samples/monorepo/README.md shows', async () => {
    const r = await run(['graph']);
    expect(r.status, r.stderr).toBe(0);
    const readme = readFileSync(path.join(root, 'samples/monorepo/README.md'), 'utf8');
    const [block] = blocks(readme, 'mermaid');
    expect(block).toBe(r.stdout);
    expect(r.stdout).toContain('s_base --> s_jobs');
    expect(r.stdout).toContain('s_base --> s_admin');
    expect(r.stdout).toMatch(/s_reports\["reports \(4 variants\)<br\/>template python<br\/>linux\/amd64, linux\/arm64"\]/);
  });

  it('dot output has one node per service and an edge per dependency', async () => {
    const r = await run(['graph', '--format', 'dot']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.startsWith('digraph matrix {')).toBe(true);
    expect(r.stdout.match(/\[label=/g)).toHaveLength(9);
    expect(r.stdout.match(/ -> /g)).toHaveLength(2);
    expect(r.stdout).toContain('"base" -> "jobs";');
  });
});
