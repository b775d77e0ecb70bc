// How matrix shows what it found, in one place: tables, the plan,
// diagnostics, the changes of `gen` and the drift of `gen --check` (with its
// diff), the engine checks of `doctor` (and of `bake` and `verify` before they
// build), the build summary, and the table verify's summary uses too. Pure: text in, text out; the commands only write it.
import path from 'node:path';
import { type colors, formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import type { CellProgress } from '../bake/progress.js';
import type { Check } from '../doctor/doctor.js';
import type { Plan, PlannedTarget } from '../plan/build-plan.js';
import type { Mode } from '../plan/stages.js';
import type { Change } from './sync.js';
import type { CacheFault, MachineFault, StepSignal } from '../release/classify.js';
import type { AbnormalEnd } from '../adapters/exit.js';
import { stepSignalHint } from '../adapters/signals.js';

export type Colors = ReturnType<typeof colors>;

// ---- Tables

/**
 * A table as lines: a bold header, each column padded to its widest cell, two
 * spaces between columns, no trailing blanks. `cell` may write a cell itself
 * (in colour, say), given its plain text and the column's width.
 */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[], c: Colors, cell?: (row: number, col: number, text: string, width: number) => string | undefined): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const header = c.bold(
    head
      .map((h, i) => h.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const body = rows.map((row, r) =>
    row
      .map((v, i) => cell?.(r, i, v, widths[i]!) ?? v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  return [header, ...body];
}

// ---- Plan

/** `plan --affected`: which targets changed since REF, and why (or that none did). */
export function formatAffected(ref: string, shown: readonly PlannedTarget[], total: number, reasons: ReadonlyMap<string, readonly string[]>, c: Colors): string {
  if (!shown.length) return `Nothing affected since ${ref}: all ${total} targets unchanged.\n`;
  const lines = [`${shown.length} of ${total} targets affected since ${ref}:`, ...shown.map((t) => `  ${c.bold(t.name)}: ${reasons.get(t.name)!.join('; ')}`), ''];
  return `${lines.join('\n')}\n`;
}

/** `plan`: each target with its Dockerfile, platforms (and how each builds), tags, args and dependencies. */
export function formatPlan(plan: Plan, c: Colors): string {
  const modeColor = (m: Mode) => (m === 'emulated' ? c.yellow(m) : m === 'cross' ? c.green(m) : m);
  const out = [`${plan.targets.length} targets from ${plan.spec} -> ${plan.bakeFile} (build platform ${plan.buildPlatform})\n\n`];
  for (const t of plan.targets) {
    out.push(`${c.bold(t.name)}${Object.keys(t.matrix).length ? c.dim(' ' + JSON.stringify(t.matrix)) : ''}\n`);
    out.push(`  dockerfile  ${t.dockerfile}${t.generated ? c.dim(' (generated)') : ''}\n`);
    out.push(`  platforms   ${t.platforms.map((p) => `${p.platform} ${modeColor(p.mode)}`).join(', ')}\n`);
    out.push(`  tags        ${t.tags.join(', ')}\n`);
    const args = Object.entries(t.args);
    if (args.length) out.push(`  args        ${args.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}\n`);
    const deps = Object.keys(t.contexts);
    if (deps.length) out.push(`  after       ${deps.join(', ')}\n`);
  }
  const emulated = plan.targets.flatMap((t) => t.platforms.filter((p) => p.mode === 'emulated').map((p) => `${t.name} ${p.platform}${p.why ? ` (${p.why})` : ''}`));
  if (emulated.length) {
    out.push(`\n${c.yellow('note:')} ${emulated.length} target platform(s) run build steps under emulation (slow): ${emulated.slice(0, 5).join(', ')}${emulated.length > 5 ? ', ...' : ''}\n`);
  }
  return out.join('');
}

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

/** The exit code of a build the failed checks stop: 74 when one is a fault of this machine (a probe killed by a signal), else 2. */
export function blockedExit(failed: readonly Check[]): number {
  return failed.some((ch) => ch.fault) ? 74 : 2;
}

/** The failed checks that stop a build (bake) or a rebuild (verify), with where to look. */
export function formatBlocked(failed: readonly Check[], what: 'build' | 'rebuild', c: Colors): string {
  return failed.map((ch) => formatCheck(ch, c) + '\n').join('') + `matrix: cannot ${what} until this is fixed (see \`matrix doctor\`).\n`;
}

// ---- Build summary

export interface SummaryRow {
  target: string;
  platform: string;
  /** `no-metadata`: bake ended with exit 0, but its metadata says nothing of the target (src/bake/metadata.ts): no image or digest known. */
  status: CellProgress['status'] | 'no-metadata';
  seconds?: number;
  image?: string;
  /** This platform's own image manifest. */
  digest?: string;
  /** The target's index (its multi-platform image), the same on each of its rows. */
  indexDigest?: string;
  error?: string[];
  /** A failed row whose step's process a signal ended, as the exit code of its error says (src/release/classify.ts stepSignal). */
  stepSignal?: StepSignal;
  /** Not finished because a target it is built from (a named context `target:`) failed: that target. */
  blockedBy?: string;
  /**
   * `no-metadata` in a bake that failed elsewhere: its export ended (the image is in the store, or
   * pushed) before bake stopped, and buildx writes no metadata after a failed bake.
   */
  exportedBeforeFailure?: true;
}

export function formatSummary(rows: SummaryRow[], seconds: number, c: Colors): string {
  const statusText = (r: SummaryRow) => (r.status === 'done' ? c.green : r.status === 'failed' ? c.red : c.yellow)(statusWords(r));
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
    r.index ? '' : statusWords(r),
    r.seconds !== undefined ? `${r.seconds}s` : r.index ? '' : '-',
    r.image ?? '-',
    r.digest ? r.digest.slice(0, 19) : '-',
  ]);
  const head = ['TARGET', 'PLATFORM', 'STATUS', 'TIME', 'IMAGE', 'DIGEST'];
  // The status in colour, padded as its plain text is.
  const status = (row: number, col: number, text: string, width: number) => (col === 2 && !shown[row]!.index ? statusText(shown[row]!) + ' '.repeat(Math.max(0, width - text.length)) : undefined);
  const lines = ['', ...formatTable(head, table, c, status)];
  const failed = rows.filter((r) => r.status === 'failed');
  for (const f of failed) {
    lines.push('', c.red(`${f.target} (${f.platform}) failed:`));
    for (const l of (f.error ?? []).slice(-6)) lines.push(`  ${l}`);
  }
  lines.push(...blockedLines(rows), ...exportedLines(rows));
  const done = rows.filter((r) => r.status === 'done' || r.status === 'no-metadata').length;
  const unknown = rows.filter((r) => r.status === 'no-metadata').length;
  lines.push('', `${done}/${rows.length} target platforms built in ${seconds.toFixed(1)}s${unknown ? `, ${unknown} with no metadata` : ''}${failed.length ? `, ${failed.length} failed` : ''}.`);
  return lines.join('\n');
}

/** The status column's text (coloured by formatSummary, padded by its plain width). */
const statusWords = (r: SummaryRow) =>
  r.status === 'failed' ? 'FAILED' : r.blockedBy ? 'not built' : r.status === 'cancelled' ? 'not finished' : r.status === 'no-metadata' ? 'built, no metadata' : r.status;

/** One line for the targets whose export ended before bake stopped for a failure elsewhere: why they show no image or digest. */
function exportedLines(rows: readonly SummaryRow[]): string[] {
  const early = [...new Set(rows.filter((r) => r.exportedBeforeFailure).map((r) => r.target))];
  if (!early.length) return [];
  const they = early.length > 1;
  return [
    '',
    `${early.join(', ')}: built; ${they ? 'their' : 'its'} export ended before bake stopped for the failure. buildx writes no metadata after a failed bake, so ${they ? 'their images and digests are' : 'its image and digest are'} not known here; \`--keep-going\` builds ${they ? 'them' : 'it'} again from the cache and reads them.`,
  ];
}

/** One line per failed target that others are built from: which targets it kept from being built. */
function blockedLines(rows: readonly SummaryRow[]): string[] {
  const byCause = new Map<string, string[]>();
  for (const r of rows) {
    if (!r.blockedBy) continue;
    const list = byCause.get(r.blockedBy) ?? [];
    if (!list.includes(r.target)) list.push(r.target);
    byCause.set(r.blockedBy, list);
  }
  return [...byCause].flatMap(([cause, targets]) => ['', `${targets.join(', ')}: not built, as ${targets.length > 1 ? 'they are' : 'it is'} built from ${cause}, which failed.`]);
}

/**
 * A build or rebuild that failed on a snapshot the engine lost (src/release/classify.ts
 * cacheFault): the fault, buildx's line, and how to build past it. `fromCache`: whether the
 * build that failed took those targets from the cache; when it did not (a rebuild, which `verify`
 * runs with --no-cache, a bake with --no-cache, or a retry without the cache), --no-cache is no
 * way past it and only the prune is named.
 */
export function formatCacheFault(fault: CacheFault, what: 'build' | 'rebuild', fromCache: boolean): string {
  const past = fromCache
    ? 'run it again with --no-cache, which builds every layer anew, or clear the build cache: `docker builder prune -af`'
    : `the ${what} already ran without the cache; clear the build cache: \`docker builder prune -af\``;
  return [
    `matrix: the ${what} failed on a fault of the engine, not of the spec or the build: its storage lists snapshot ${fault.snapshot} (the files of a layer) but no longer has it, and a build that takes that layer from the cache fails the same way`,
    `  ${fault.line}`,
    `  hint: ${past}. BuildKit has been seen to lose snapshots on the docker driver with the containerd image store, after a build that was cancelled or failed beside others; a docker-container builder (\`docker buildx create --use --driver docker-container\`) keeps a store of its own`,
    '',
  ].join('\n');
}

/**
 * Failed steps whose process a signal ended (exit code 128 + n: 137 is
 * SIGKILL, most often the OOM killer under the builder's memory limit), one
 * paragraph per signal: which steps, the signal, and what to do
 * (src/adapters/signals.ts stepSignalHint). `who` names where each failed
 * (`api (linux/arm64)`), or is empty when only buildx's last error line said
 * it. A failed build all the same: buildx and matrix ran to their end.
 */
export function formatStepSignals(found: readonly (StepSignal & { who?: string })[]): string {
  // One paragraph per exit code said (or per signal BuildKit named without one: the OOM killer).
  const byEnd = new Map<string, { signal: string; exitCode?: number; who: string[] }>();
  for (const f of found) {
    const end = f.exitCode === undefined ? `oom ${f.signal}` : `${f.exitCode}`;
    const entry = byEnd.get(end) ?? { signal: f.signal, ...(f.exitCode === undefined ? {} : { exitCode: f.exitCode }), who: [] };
    if (f.who !== undefined && !entry.who.includes(f.who)) entry.who.push(f.who);
    byEnd.set(end, entry);
  }
  return [...byEnd.values()]
    .map(({ signal, exitCode, who }) => {
      const failed = who.length > 1 ? `the steps that failed ${who.join(', ')}` : `the step that failed ${who[0] ?? 'the build'}`;
      const what =
        exitCode === undefined
          ? `${failed} ran out of memory: BuildKit saw the kernel's OOM killer end a process of the step (${signal}; its error says \`cannot allocate memory\`)`
          : `${failed} exited ${exitCode} = 128 + ${exitCode - 128}: the exit code of a process killed by ${signal} (the step's command, or one it ran)`;
      return `matrix: ${what}\n  hint: ${stepSignalHint(signal)}\n`;
    })
    .join('');
}

/**
 * `what` (the build, the rebuild, publishing, ...) stopped because docker, buildx or cosign was
 * killed by a signal matrix did not send (exit 74), or could not run the command (125, 126, 127:
 * exit 2): src/adapters/exit.ts.
 */
export function formatAbnormalEnd(end: AbnormalEnd, what: string): string {
  const whose = end.machine ? 'a fault of this machine' : `a fault of the ${end.program} installation`;
  return `matrix: ${what} stopped on ${whose}, not of the spec or the build: ${end.what}\n  hint: ${end.hint}\n`;
}

/**
 * A build or rebuild that a full, read-only or failing disk stopped (exit 74): the fault, buildx's
 * line, and where to make room. `tempDir`: matrix's own directory for bake's metadata file, when
 * the line names a path in it.
 */
export function formatMachineFault(fault: MachineFault, what: 'build' | 'rebuild', tempDir?: string): string {
  const hint =
    tempDir !== undefined && fault.line.includes(tempDir)
      ? `free space in ${path.dirname(tempDir)} (TMPDIR: matrix has buildx write its metadata file there), or set TMPDIR to a directory on a disk with room`
      : "free space where the line above says; for the engine's own storage, `docker system df` shows it and `docker builder prune` frees build cache";
  return `matrix: the ${what} stopped on a fault of this machine, not of the spec or the build: ${fault.what} (${fault.errno})\n  ${fault.line}\n  hint: ${hint}\n`;
}
