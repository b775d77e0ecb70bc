// Every string a user writes is checked here once, keys included, before any
// stage uses it. What a string may contain depends on where it ends up:
// build-arg and label values only travel through HCL (which can escape
// anything printable, tab and newline included); everything else may reach a
// Dockerfile, a file name or a command line, where a newline ends an instruction.
import { pathToString, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import { specDiagnostic, type LoadedSpec } from '../load/load.js';

const ALWAYS_BAD = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LINE_BREAKS = /[\t\n\r\u2028\u2029\u0085]/;
/** Bidi controls reorder how text is shown ("Trojan Source"); never legitimate here. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isAscii(s: string): boolean {
  return /^[\u0000-\u007f]*$/.test(s);
}

/** Printable ASCII only: none of the checks below finds anything in it (most strings of a spec). */
const PLAIN = /^[\u0020-\u007e]*$/;

export function stringProblem(s: string, allowLineBreaks: boolean): { code: DiagnosticCode; message: string; hint: string } | undefined {
  if (PLAIN.test(s)) return undefined;
  if (s.includes('\u0000')) return { code: 'control-character', message: 'contains a NUL character', hint: 'remove it' };
  if (LONE_SURROGATE.test(s)) {
    return { code: 'invalid-unicode', message: 'contains a lone UTF-16 surrogate', hint: 'the text is not valid Unicode; re-save the file as UTF-8' };
  }
  // U+FFFD is what a UTF-8 decoder puts where the bytes were not UTF-8: the value would not be what was meant.
  if (s.includes('\ufffd')) {
    return { code: 'invalid-unicode', message: 'contains U+FFFD, the replacement character', hint: 'the file is probably not valid UTF-8 there; re-save it as UTF-8' };
  }
  if (BIDI.test(s)) {
    return {
      code: 'bidi-control',
      message: 'contains a bidirectional control character',
      hint: 'these make text display in a different order than it is read; remove them',
    };
  }
  if (ALWAYS_BAD.test(s)) return { code: 'control-character', message: 'contains a control character', hint: 'remove it' };
  // HCL (and so bake) rewrites every string to NFC: other forms would not reach the build byte for byte.
  if (!isAscii(s) && s.normalize('NFC') !== s) {
    return {
      code: 'not-normalized',
      message: 'is not in composed Unicode form (NFC)',
      hint: `bake would silently change it; write ${JSON.stringify(s.normalize('NFC'))} instead`,
    };
  }
  if (!allowLineBreaks && LINE_BREAKS.test(s)) {
    return {
      code: 'line-break',
      message: 'contains a line break or tab',
      hint: 'this value can reach a Dockerfile or a command line, where a line break ends the instruction; keep it on one line',
    };
  }
  return undefined;
}

/** Values that may hold line breaks: build args and labels (only ever HCL-escaped). */
function allowsLineBreaks(path: readonly (string | number)[]): boolean {
  const n = path.length;
  const field = path[n - 2];
  if (field !== 'args' && field !== 'labels') return false;
  return (n === 3 && path[0] === 'defaults') || (n === 4 && path[0] === 'services');
}

export function stringDiagnostics(spec: LoadedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (path: (string | number)[], onKey: boolean, p: NonNullable<ReturnType<typeof stringProblem>>) => {
    out.push(specDiagnostic(spec, p.code, path, `${onKey ? 'key' : 'value'} at ${pathToString(path) || 'top level'} ${p.message}`, p.hint, { onKey }));
  };
  // One path, grown and shrunk as the walk goes (a copy only for a diagnostic): a spec of 1,000 services has tens of thousands of values.
  const path: (string | number)[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const p = stringProblem(v, allowsLineBreaks(path));
      if (p) report([...path], false, p);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const p = stringProblem(k, false);
        path.push(k);
        if (p) report([...path], true, p);
        walk(item);
        path.pop();
      }
    }
  };
  walk(spec.value);
  return out;
}
