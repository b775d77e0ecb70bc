// The regular expression of a template parameter's `detect` (the first group
// of its first match in a small file of the context: go.mod's `go` line).
// A repository's own template is not trusted: its pattern runs on RE2, whose
// time is linear in the text, so no pattern can make a compile spin
// (`^(a+)+$` against 40 a's and a b backtracks for minutes in a JavaScript
// RegExp). RE2's syntax is Go's regexp, what the Docker world writes; it has
// no lookaround and no backreferences. The built-in templates' patterns are
// ours, reviewed, and stay JavaScript RegExps, which load nothing more.
import { lazyImport } from '../lazy.js';

const re2 = lazyImport(() => import('./re2.js'));

export interface DetectPattern {
  /** The first capture group of the first match, when there is one. */
  firstGroup(text: string): string | undefined;
}

/** Compiled patterns by pattern, for the built-ins (JavaScript) and for the rest (RE2): asked once per service and detect place. */
const COMPILED = { js: new Map<string, DetectPattern>(), re2: new Map<string, DetectPattern>() };

/** `pattern` compiled (`^`/`$` match at line ends), or the reason RE2 refuses it. */
export function detectPattern(pattern: string, builtin: boolean): DetectPattern | { problem: string } {
  const compiledHere = builtin ? COMPILED.js : COMPILED.re2;
  const known = compiledHere.get(pattern);
  if (known) return known;
  let compiled: DetectPattern;
  if (builtin) {
    const re = new RegExp(pattern, 'm');
    compiled = { firstGroup: (text) => re.exec(text)?.[1] };
  } else {
    const { RE2JS } = re2();
    let re: InstanceType<typeof RE2JS>;
    try {
      re = RE2JS.compile(pattern, RE2JS.MULTILINE);
    } catch (e) {
      return { problem: (e as Error).message };
    }
    compiled = {
      firstGroup: (text) => {
        const m = re.matcher(text);
        return m.find() && m.groupCount() >= 1 ? (m.group(1) ?? undefined) : undefined;
      },
    };
  }
  compiledHere.set(pattern, compiled);
  return compiled;
}
