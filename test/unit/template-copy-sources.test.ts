// Where a build stage's output is staged. To make the cache key of
// `COPY --from=STAGE SRC DEST`, BuildKit checksums SRC in the stage's
// filesystem, and to do so it walks the directory above SRC (moby/buildkit
// cache/contenthash/checksum.go, scanPath: "Scan the parent directory of the
// path we resolved"). A source directly under / therefore walks the whole
// stage: on the toolchain image of the benchmarks that was about 1.5 s of
// dockerd CPU on every build (measured 2026-12-06: `COPY --from=b /rootfs/ /`
// 1.46 s between the stage's last step and the COPY, `/matrix/rootfs/` 0.02 s).
// Every COPY --from in the built-in templates, the samples and the Dockerfiles
// of the docs names a source at least two directories deep.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions } from '../../src/bake/attribution.js';
import { blocks, docFiles, readDoc } from '../helpers/fences.js';
import { listTree, REPO_ROOT } from '../helpers/tree.js';

/** The sources of each `COPY --from=...` instruction of a Dockerfile's text, read as BuildKit assembles instructions. */
function copyFromSources(text: string): { line: string; sources: string[] }[] {
  const out: { line: string; sources: string[] }[] = [];
  for (const line of dockerfileInstructions(text)) {
    const words = line.split(' ');
    if (words[0]?.toUpperCase() !== 'COPY' || !words.some((w) => w.startsWith('--from='))) continue;
    const args = words.slice(1).filter((w) => !w.startsWith('--'));
    out.push({ line, sources: args.slice(0, -1) });
  }
  return out;
}

/** True when BuildKit would walk the whole stage to checksum this source. */
const walksWholeStage = (source: string) => path.posix.dirname(path.posix.normalize(`/${source}`)) === '/';

/** Files below a directory of the repository whose name passes `keep`, relative to the repository. */
const filesUnder = (dir: string, keep: (name: string) => boolean) =>
  [...listTree(path.join(REPO_ROOT, dir)).keys()].filter((r) => !r.endsWith('/') && keep(path.posix.basename(r))).map((r) => `${dir}/${r}`);

describe('COPY --from sources are never directly under /', () => {
  it('reads the sources of a COPY --from, with flags and continuation lines', () => {
    expect(copyFromSources('FROM a\nCOPY --from=b --chown=0:0 \\\n  /x/y/ /z/ /\nCOPY . .\n')).toEqual([{ line: 'COPY --from=b --chown=0:0 /x/y/ /z/ /', sources: ['/x/y/', '/z/'] }]);
    expect(walksWholeStage('/rootfs/')).toBe(true);
    expect(walksWholeStage('/hello')).toBe(true);
    expect(walksWholeStage('rootfs')).toBe(true);
    expect(walksWholeStage('/matrix/rootfs/')).toBe(false);
    expect(walksWholeStage('/rootfs/app/')).toBe(false);
  });

  const texts: [string, string][] = [
    ...filesUnder('templates', (n) => n.endsWith('.Dockerfile.hbs')).map((f): [string, string] => [f, readDoc(f)]),
    ...filesUnder('samples', (n) => n.includes('Dockerfile')).map((f): [string, string] => [f, readDoc(f)]),
    ...docFiles().flatMap((f) => blocks(readDoc(f), 'dockerfile').map((b, i): [string, string] => [`${f} block ${i + 1}`, b])),
  ];

  it('finds the COPY --from instructions it checks', () => {
    const count = texts.reduce((n, [, t]) => n + copyFromSources(t).length, 0);
    // go, rust, java, node, php, python, static templates and the monorepo's hand-written Dockerfiles.
    expect(count).toBeGreaterThanOrEqual(15);
  });

  it.each(texts)('%s', (_file, text) => {
    const bad = copyFromSources(text).flatMap(({ line, sources }) => sources.filter(walksWholeStage).map((s) => `${s} in: ${line}`));
    expect(bad).toEqual([]);
  });
});
