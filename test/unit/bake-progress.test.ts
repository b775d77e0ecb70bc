// buildx's plain progress read into per-target, per-platform cells. The lines
// below are from a real `docker buildx bake --progress=plain` (buildx 0.13.1,
// BuildKit in dockerd 26): kbase's RUN fails under kapp's name (the two share
// the vertex), bake cancels the rest, and kother's export, cut off mid-write,
// ends in an ERROR of its own.
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/bake/progress.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const plan = ['kbase', 'kapp', 'kother'].map((target) => ({ target, platforms: PLATFORMS }));
const RUN = 'RUN if [ "4" != 0 ]; then echo "step failed on purpose" >&2; exit "4"; fi; echo "arm64" > /arch';
const FAILED = 'ERROR: process "/bin/sh -c ..." did not complete successfully: exit code: 4';

const LOG = [
  '#21 [kother linux/amd64 stage-1 2/2] COPY --from=work /arch /arch',
  '#21 CACHED',
  '#22 [kother linux/arm64 stage-1 2/2] COPY --from=work /arch /arch',
  '#22 CACHED',
  `#20 [kapp linux/amd64->arm64 work 3/3] ${RUN}`,
  '#20 0.874 step failed on purpose',
  `#20 ${FAILED}`,
  '#23 [kother] exporting to image',
  '#23 exporting layers done',
  '#23 ERROR: error writing data blob sha256:130c: failed to get status: error getting writer status: EOF: unknown',
  `#18 [kbase linux/amd64 work 3/3] ${RUN}`,
  '#18 1.281 step failed on purpose',
  '#18 CANCELED',
];

const statuses = (lines: string[], code: number) => {
  const p = new ProgressTracker(plan, () => 0);
  for (const l of lines) p.line(l);
  return Object.fromEntries(p.finish(code).map((c) => [`${c.target} ${c.platform}`, c.status]));
};

describe('ProgressTracker', () => {
  it('the first failed step is the failure; a later ERROR of another target, cut off by the cancel, is cancelled', () => {
    expect(statuses(LOG, 1)).toEqual({
      'kbase linux/amd64': 'cancelled',
      'kbase linux/arm64': 'cancelled',
      'kapp linux/amd64': 'cancelled',
      'kapp linux/arm64': 'failed',
      'kother linux/amd64': 'cancelled',
      'kother linux/arm64': 'cancelled',
    });
  });

  it('keeps the error lines of the failure, none of the casualty', () => {
    const p = new ProgressTracker(plan, () => 0);
    for (const l of LOG) p.line(l);
    const cells = p.finish(1);
    expect(cells.find((c) => c.target === 'kapp' && c.platform === 'linux/arm64')!.error).toEqual(['step failed on purpose', FAILED.replace(/^ERROR:?\s*/, '')]);
    expect(cells.filter((c) => c.target === 'kother').flatMap((c) => c.error)).toEqual([]);
  });

  it('a later ERROR of the same target that failed first is a failure too', () => {
    const more = [...LOG.slice(0, 7), `#24 [kapp linux/amd64 work 3/3] ${RUN}`, `#24 ${FAILED}`];
    expect(statuses(more, 1)['kapp linux/amd64']).toBe('failed');
  });

  it('a step two targets share fails both: its first ERROR names them both', () => {
    const shared = ['#5 [kbase linux/amd64 work 1/3] FROM x', '#5 [kother linux/amd64 work 1/3] FROM x', '#5 ERROR: pull access denied'];
    const s = statuses(shared, 1);
    expect([s['kbase linux/amd64'], s['kother linux/amd64'], s['kapp linux/amd64']]).toEqual(['failed', 'failed', 'cancelled']);
  });
});
