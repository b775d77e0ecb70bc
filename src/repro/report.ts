// The verdict of `matrix verify`: per target and platform, the manifest digest
// expected (pushed, or recorded by bake) against the one rebuilt now. Pure.
import type { colors } from '../diagnostics.js';
import { formatTable } from '../output/format.js';
import { normalizePlatform } from '../platforms.js';
import { explainDifference, type Difference, type PlatformImage } from './manifests.js';

export interface VerifyRow {
  target: string;
  platform: string;
  /** The reference the expected digests were read from. */
  against?: string;
  expected?: string;
  actual?: string;
  match: boolean;
  /** Why there is nothing to compare. */
  error?: string;
  difference?: Difference;
}

/** Rows for one target: every platform it builds in this run, each matched or explained. */
export function compareTarget(
  target: string,
  platforms: readonly string[],
  expected: { ref?: string; images?: readonly PlatformImage[]; error?: string },
  actual: { images?: readonly PlatformImage[]; error?: string },
): VerifyRow[] {
  return platforms.map((raw) => {
    const platform = normalizePlatform(raw);
    const e = expected.images?.find((i) => i.platform === platform);
    const a = actual.images?.find((i) => i.platform === platform);
    const row: VerifyRow = { target, platform, match: false };
    if (expected.ref) row.against = expected.ref;
    if (e) row.expected = e.digest;
    if (a) row.actual = a.digest;
    if (expected.error) row.error = expected.error;
    else if (!e) row.error = `${expected.ref ?? 'the expected image'} has no ${platform} image`;
    else if (actual.error) row.error = actual.error;
    else if (!a) row.error = `the rebuild produced no ${platform} image`;
    else row.match = e.digest === a.digest;
    return row;
  });
}

/** Fill in where a mismatched row differs, from the manifests and configs of both sides. */
export function explainRow(row: VerifyRow, expected: PlatformImage, actual: PlatformImage): VerifyRow {
  return row.match ? row : { ...row, difference: explainDifference(expected, actual) };
}

const short = (d: string | undefined) => (d ? d.slice(0, 19) : '-');

export function describeDifference(d: Difference): string[] {
  switch (d.kind) {
    case 'layer': {
      const step = d.actual?.step ?? d.expected?.step;
      const head = `layer ${d.index + 1} differs${step ? ` (${step})` : ''}`;
      const side = (label: string, l: typeof d.expected) => (l ? `${label} ${l.digest}${l.diffId ? `  diff_id ${l.diffId}` : ''}` : `${label} (no such layer)`);
      return [head, side('expected', d.expected), side('actual  ', d.actual)];
    }
    case 'config':
      return [`same layers, the image config differs${d.fields.length ? `: ${d.fields.join(', ')}` : ''}`];
    case 'manifest':
      return [`same config and layers, the manifest differs${d.fields.length ? `: ${d.fields.join(', ')}` : ''} (media types: was one of the builds made without attestations?)`];
    case 'unknown':
      return [`cannot tell where: ${d.reason}`];
  }
}

export function formatVerify(rows: readonly VerifyRow[], seconds: number, c: ReturnType<typeof colors>): string {
  const head = ['TARGET', 'PLATFORM', 'EXPECTED', 'ACTUAL', 'MATCH'];
  const table = rows.map((r) => [r.target, r.platform, short(r.expected), short(r.actual), r.match ? 'yes' : r.error ? 'error' : 'NO']);
  const match = (row: number, col: number, text: string, width: number) => (col === 4 ? (rows[row]!.match ? c.green : c.red)(text.padEnd(width)) : undefined);
  const lines = ['', ...formatTable(head, table, c, match)];
  for (const r of rows) {
    if (r.match) continue;
    lines.push('', c.red(`${r.target} (${r.platform})${r.against ? ` against ${r.against}` : ''}:`));
    if (r.error) lines.push(`  ${r.error}`);
    else if (r.difference) lines.push(...describeDifference(r.difference).map((l) => `  ${l}`));
  }
  const matched = rows.filter((r) => r.match).length;
  lines.push('', `${matched}/${rows.length} target platforms rebuilt to the same image manifest in ${seconds.toFixed(1)}s.`);
  return lines.join('\n');
}
