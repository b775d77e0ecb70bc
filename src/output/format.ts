// How matrix shows what it found, in one place: diagnostics, the changes of
// `gen` and the drift of `gen --check` (with its diff), the engine checks of
// `doctor` (and of `bake` and `verify` before they build), and the build
// summary. Pure: text in, text out; the commands only write it.
import { type colors, formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import type { CellProgress } from '../bake/progress.js';
import type { Check } from '../doctor/doctor.js';
import type { Change } from './sync.js';

export type Colors = ReturnType<typeof colors>;

// ---- Diagnostics

/** Every diagnostic with its source line and caret, then the count when there is more than one error. */
export function formatDiagnostics(ds: readonly Diagnostic[], color: boolean, sources?: ReadonlyMap<string, string>): string {
  const lines = ds.map((d) => formatDiagnostic(d, { color, ...(sources ? { sources } : {}) }) + '\n');
  const errors = ds.filter((d) => d.severity === 'error').length;
  if (errors > 1) lines.push(`${errors} errors\n`);
  return lines.join('');
}

// ---- Generated files

/** What `gen` wrote, one line a file, then the counts. */
export function formatWritten(changes: readonly Change[], unchanged: number, c: Colors): string {
  const lines = changes.map((ch) => `${ch.kind === 'delete' ? c.red('removed') : ch.kind === 'create' ? c.green('created') : c.yellow('updated')} ${ch.file}\n`);
  return lines.join('') + `${changes.length} changed, ${unchanged} unchanged.\n`;
}

export function formatUpToDate(unchanged: number): string {
  return `Up to date: ${unchanged} files.\n`;
}

/**
 * `gen --check` found drift: each file with what is wrong and its unified
 * diff (`diff` makes it: the diff module loads only when there is drift).
 */
export function formatDrift(changes: readonly Change[], diff: (before: string, after: string, from: string, to: string) => string, c: Colors): string {
  const out: string[] = [];
  for (const ch of changes) {
    const what = ch.kind === 'create' ? 'missing' : ch.kind === 'delete' ? 'orphaned (its service is gone from the spec)' : 'stale';
    out.push(`${c.bold(ch.file)}: ${c.red(what)}\n`);
    const text = diff(ch.before ?? '', ch.after ?? '', ch.before !== undefined ? `a/${ch.file}` : '/dev/null', ch.after !== undefined ? `b/${ch.file}` : '/dev/null');
    out.push(
      text
        .split('\n')
        .map((l) => (l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
        .join('\n') + '\n',
    );
  }
  out.push(`${changes.length} generated file(s) out of date. Run \`matrix gen\` and commit the result.\n`);
  return out.join('');
}

/** A command that builds what is committed found the generated files stale (on stderr). */
export function formatStale(changes: readonly Change[], specName: string, why: string): string {
  const lines = [`matrix: the generated files do not match ${specName}:\n`];
  for (const ch of changes) lines.push(`  ${ch.file} (${ch.kind === 'create' ? 'missing' : ch.kind === 'delete' ? 'orphaned' : 'stale'})\n`);
  lines.push(`Run \`matrix gen\` (and commit the result): ${why}.\n`);
  return lines.join('');
}

// ---- Engine checks

export function formatCheck(ch: Check, c: Colors): string {
  const mark = ch.status === 'ok' ? c.green('ok  ') : ch.status === 'warn' ? c.yellow('warn') : ch.status === 'skip' ? c.dim('skip') : c.red('FAIL');
  return `${mark} ${ch.name}: ${ch.detail}${ch.fix ? `\n     fix: ${ch.fix}` : ''}`;
}

/** `matrix doctor`: every check, then the verdict. */
export function formatDoctor(checks: readonly Check[], c: Colors): string {
  const failed = checks.some((ch) => ch.status === 'fail');
  const lines = checks.map((ch) => formatCheck(ch, c) + '\n');
  lines.push(failed ? `\n${c.red('Some checks failed.')} Apply the fixes above, then run \`matrix doctor\` again.\n` : `\n${c.green('Ready to build.')}\n`);
  return lines.join('');
}

/** The failed checks that stop a build (bake) or a rebuild (verify), with where to look. */
export function formatBlocked(failed: readonly Check[], what: 'build' | 'rebuild', c: Colors): string {
  return failed.map((ch) => formatCheck(ch, c) + '\n').join('') + `matrix: cannot ${what} until this is fixed (see \`matrix doctor\`).\n`;
}

// ---- Build summary

export interface SummaryRow {
  target: string;
  platform: string;
  status: CellProgress['status'];
  seconds?: number;
  image?: string;
  /** This platform's own image manifest. */
  digest?: string;
  /** The target's index (its multi-platform image), the same on each of its rows. */
  indexDigest?: string;
  error?: string[];
}

export function formatSummary(rows: SummaryRow[], seconds: number, c: Colors): string {
  const statusText = (s: SummaryRow['status']) => (s === 'done' ? c.green('done') : s === 'failed' ? c.red('FAILED') : c.yellow(s === 'cancelled' ? 'not finished' : s));
  // Each platform's own manifest; the index once per target, on a row of its own after its platforms.
  const lastOf = new Map(rows.map((r, i) => [r.target, i]));
  const shown: (SummaryRow & { index?: true })[] = rows.flatMap((r, i) =>
    lastOf.get(r.target) === i && r.indexDigest
      ? [r, { target: r.target, platform: '(index)', status: r.status, ...(r.image ? { image: r.image } : {}), digest: r.indexDigest, index: true as const }]
      : [r],
  );
  const table = shown.map((r) => [
    r.target,
    r.platform,
    r.index ? '' : r.status,
    r.seconds !== undefined ? `${r.seconds}s` : r.index ? '' : '-',
    r.image ?? '-',
    r.digest ? r.digest.slice(0, 19) : '-',
  ]);
  const head = ['TARGET', 'PLATFORM', 'STATUS', 'TIME', 'IMAGE', 'DIGEST'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const lines = [
    '',
    c.bold(
      head
        .map((h, i) => h.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    ),
  ];
  shown.forEach((r, idx) => {
    const cells = table[idx]!.map((v, i) => (i === 2 && !r.index ? statusText(r.status) + ' '.repeat(Math.max(0, widths[i]! - v.length)) : v.padEnd(widths[i]!)));
    lines.push(cells.join('  ').trimEnd());
  });
  const failed = rows.filter((r) => r.status === 'failed');
  for (const f of failed) {
    lines.push('', c.red(`${f.target} (${f.platform}) failed:`));
    for (const l of (f.error ?? []).slice(-6)) lines.push(`  ${l}`);
  }
  const done = rows.filter((r) => r.status === 'done').length;
  lines.push('', `${done}/${rows.length} target platforms built in ${seconds.toFixed(1)}s${failed.length ? `, ${failed.length} failed` : ''}.`);
  return lines.join('\n');
}
