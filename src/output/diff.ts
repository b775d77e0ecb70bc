// The unified diff of `gen --check`, computed by the `diff` package (jsdiff,
// Myers' algorithm) and printed as `diff -u` prints it: `---`/`+++` names,
// hunks with three lines of context and both counts always given.
import { structuredPatch } from 'diff';

/** Cap on the edit-script search (memory grows with D x (N+M)); beyond it we summarise. */
const MAX_TRACE_CELLS = 20_000_000;

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  const lines = (s: string) => (s === '' ? 0 : s.split('\n').length);
  const a = lines(oldText);
  const b = lines(newText);
  // The same bound as the edit graph had before: generated files are large, but drift is usually small.
  const maxEditLength = Math.max(1, Math.floor(MAX_TRACE_CELLS / (2 * (a + b) + 3)) - 1);
  const patch = structuredPatch(oldName, newName, oldText, newText, undefined, undefined, { context, maxEditLength });
  if (!patch) {
    out.push(`@@ too many changes to show (${countLines(oldText)} lines before, ${countLines(newText)} after) @@`);
    return out.join('\n');
  }
  for (const h of patch.hunks) {
    // As in `diff -u`: an empty side starts one line before the hunk.
    out.push(`@@ -${h.oldLines ? h.oldStart : h.oldStart - 1},${h.oldLines} +${h.newLines ? h.newStart : h.newStart - 1},${h.newLines} @@`, ...h.lines);
  }
  return out.join('\n');
}

/** Lines as `diff` counts them: a last line without its newline counts too. */
function countLines(s: string): number {
  if (s === '') return 0;
  const n = s.split('\n').length;
  return s.endsWith('\n') ? n - 1 : n;
}
