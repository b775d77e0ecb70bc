// Diagnostics are data: every stage collects them instead of throwing, so a
// user sees every problem of a spec at once, and tests assert code + position.

export type Severity = 'error' | 'warning';

/**
 * Every diagnostic code matrix reports: a closed set. Tests, docs and users
 * match on these, so a code is never renamed; a new one is added here.
 */
export const DIAGNOSTIC_CODES = [
  'absolute-path',
  'ambiguous-dependency',
  'ambiguous-latest',
  'ambiguous-value',
  'bake-file',
  'bake-print',
  'bidi-control',
  'builder-driver-changed',
  'builder-driver-mismatch',
  'builder-unknown',
  'cache-in-context',
  'ci-matrix-too-large',
  'conflicting-keys',
  'control-character',
  'dependency-cycle',
  'docker-missing',
  'duplicate-item',
  'duplicate-key',
  'duplicate-node',
  'duplicate-tag',
  'empty',
  'empty-ci-matrix',
  'empty-matrix',
  'file-error',
  'file-missing',
  'file-not-json',
  'file-too-large',
  'final-stage-build-platform',
  'git-failed',
  'git-not-found',
  'git-unsafe-config',
  'invalid-builder-name',
  'invalid-cache-ref',
  'invalid-driver-opt',
  'invalid-endpoint',
  'invalid-format',
  'invalid-key',
  'invalid-name',
  'invalid-output',
  'invalid-param',
  'invalid-registry',
  'invalid-run-id',
  'invalid-runner',
  'invalid-tag',
  'invalid-unicode',
  'invalid-value',
  'line-break',
  'lock-unusable',
  'locked',
  'matrix-too-large',
  'metadata-tags-ignored',
  'misplaced-key',
  'missing-key',
  'missing-param',
  'name-collision',
  'no-builders',
  'no-services-found',
  'node-endpoint-missing',
  'not-a-directory',
  'not-a-git-repo',
  'not-a-regular-file',
  'not-generated',
  'not-normalized',
  'nothing-to-build',
  'output-collision',
  'output-limit',
  'output-not-a-file',
  'output-outside-repo',
  'path-exists',
  'path-in-git-dir',
  'path-not-found',
  'path-outside-repo',
  'platform-mismatch',
  'remote-path',
  'reserved-name',
  'secret-in-context',
  'secret-outside-repo',
  'shard-driver',
  'shard-no-tag',
  'spec-exists',
  'spec-not-found',
  'spec-too-large',
  'tag-too-long',
  'template-error',
  'too-many-targets',
  'unknown-axis',
  'unknown-dependency',
  'unknown-group-member',
  'unknown-key',
  'unknown-param',
  'unknown-platform',
  'unknown-ref',
  'unknown-tag',
  'unknown-target',
  'unknown-template',
  'unknown-variable',
  'unsupported-platform',
  'unused-key',
  'unused-matrix-key',
  'usage',
  'verify-metadata',
  'verify-output',
  'verify-usage',
  'write-failed',
  'wrong-path-kind',
  'wrong-type',
  'yaml-alias-cycle',
  'yaml-alias-limit',
  'yaml-syntax',
  'yaml-too-deep',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  /** Stable identifier, e.g. `unknown-key`. Tests and docs rely on it. */
  code: DiagnosticCode;
  severity: Severity;
  /** File the problem is in (as given by the user, or relative to cwd). */
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. file missing). */
  line: number;
  column: number;
  /** Key path inside the spec, e.g. `services.api.platforms[1]`. */
  path: string;
  message: string;
  hint?: string;
}

/** A failure the user can fix. Carries diagnostics; exit code 2 unless told. */
export class UserError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly exitCode = 2,
  ) {
    super(diagnostics.map((d) => d.message).join('\n'));
    this.name = 'UserError';
  }
}

/** What a diagnostic says; everything else has a default (an error with no position). */
export interface DiagnosticInit {
  code: DiagnosticCode;
  message: string;
  hint?: string | undefined;
  severity?: Severity;
  file?: string;
  line?: number;
  column?: number;
  /** The key path inside the spec, as parts or already written out. */
  path?: string | readonly (string | number)[];
}

/** The one constructor of diagnostics. */
export function diagnostic(d: DiagnosticInit): Diagnostic {
  return {
    code: d.code,
    severity: d.severity ?? 'error',
    file: d.file ?? '',
    path: typeof d.path === 'string' ? d.path : pathToString(d.path ?? []),
    line: d.line ?? 0,
    column: d.column ?? 0,
    message: d.message,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  };
}

export function userError(code: DiagnosticCode, message: string, extra: Partial<Omit<DiagnosticInit, 'code' | 'message'>> = {}): UserError {
  return new UserError([diagnostic({ code, message, ...extra })]);
}

export function pathToString(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** Make control characters visible in messages (never print them raw). */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface FormatOptions {
  color: boolean;
  /** Source text per file, for the excerpt with a caret. */
  sources?: ReadonlyMap<string, string>;
}

export function formatDiagnostic(d: Diagnostic, opts: FormatOptions): string {
  const c = colors(opts.color);
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file || 'matrix';
  const label = d.severity === 'error' ? c.red('error') : c.yellow('warning');
  const lines = [`${c.bold(where)}: ${label} ${visible(d.message)} ${c.dim(`[${d.code}]`)}`];
  if (d.path) lines.push(`  at ${visible(d.path)}`);
  const src = opts.sources?.get(d.file);
  if (src !== undefined && d.line > 0) {
    const text = lineOf(src, d.line);
    if (text !== undefined) {
      const gutter = String(d.line);
      lines.push(`  ${c.dim(gutter + ' |')} ${visible(text)}`);
      const caretCol = visible(text.slice(0, Math.max(0, d.column - 1))).length;
      lines.push(`  ${' '.repeat(gutter.length)} ${c.dim('|')} ${' '.repeat(caretCol)}${c.red('^')}`);
    }
  }
  if (d.hint) lines.push(`  ${c.cyan('hint:')} ${visible(d.hint)}`);
  return lines.join('\n');
}

function lineOf(src: string, line: number): string | undefined {
  let start = 0;
  for (let i = 1; i < line; i++) {
    const nl = src.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = src.indexOf('\n', start);
  const text = src.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}

export function colors(on: boolean) {
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** Damerau-free Levenshtein, for "did you mean" hints on short names. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const cand of candidates) {
    const d = editDistance(word.toLowerCase(), cand.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = cand;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDist <= limit ? best : undefined;
}

/** Edit distance where a swap of two neighbouring letters is one edit (optimal string alignment): `lniux` is one from `linux`. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
