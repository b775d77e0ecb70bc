// A unified diff (Myers' O(ND) algorithm) for `gen --check`. Generated files
// are large but drift is usually small, so D stays small.

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Cap on the edit-script search (memory is D x (N+M)); beyond it we summarise. */
const MAX_TRACE_CELLS = 20_000_000;

function myers(a: readonly string[], b: readonly string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    if ((d + 1) * v.length > MAX_TRACE_CELLS) return undefined;
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk the trace back to recover the edit script.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: ' ', line: a[--x]! }), y--;
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y]! });
      else ops.push({ kind: '-', line: a[--x]! });
    }
  }
  return ops.reverse();
}

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = myers(a, b);
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  if (!ops) {
    out.push(`@@ too many changes to show (${a.length} lines before, ${b.length} after) @@`);
    return out.join('\n');
  }
  let i = 0;
  let aLine = 1;
  let bLine = 1;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++, aLine++, bLine++;
      continue;
    }
    // A hunk: back up `context` lines, run until `2*context` unchanged lines follow.
    const start = Math.max(0, i - context);
    const hunkA = aLine - (i - start);
    const hunkB = bLine - (i - start);
    let end = i;
    let quiet = 0;
    while (end < ops.length && quiet < 2 * context) {
      quiet = ops[end]!.kind === ' ' ? quiet + 1 : 0;
      end++;
    }
    end = Math.min(ops.length, end - Math.max(0, quiet - context));
    const slice = ops.slice(start, end);
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount ? hunkA : hunkA - 1},${aCount} +${bCount ? hunkB : hunkB - 1},${bCount} @@`);
    for (const o of slice) out.push(o.kind + o.line);
    for (let j = i; j < end; j++) {
      if (ops[j]!.kind !== '+') aLine++;
      if (ops[j]!.kind !== '-') bLine++;
    }
    i = end;
  }
  return out.join('\n');
}

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // A last line without its newline differs from one with it, as in `diff -u`.
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}
