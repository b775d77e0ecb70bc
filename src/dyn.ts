// Values known only at build time (from git), kept symbolic until then.
// A Dyn is a plain string, or text with references to bake variables that
// `matrix bake` sets (MATRIX_GIT_SHA, ...). The committed bake file stays the
// same across commits; only the environment of the build changes.

export type DynPart = string | { variable: string };
export type Dyn = string | { parts: DynPart[] };

export function isStatic(d: Dyn): d is string {
  return typeof d === 'string';
}

export function dynVariables(d: Dyn): string[] {
  return isStatic(d) ? [] : d.parts.flatMap((p) => (typeof p === 'string' ? [] : [p.variable]));
}

/**
 * The tags bake builds from these: each with the environment applied, one
 * whose git value is empty left out (the file's compact()), and a repeated one
 * once, first place kept (docker/buildx bake/bake.go, Target.normalize:
 * removeDupes on tags).
 */
export function evalTags(tags: readonly Dyn[], env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const d of tags) {
    const tag = evalDyn(d, env);
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/** Longest tag part of an image reference (the distribution reference grammar: `[\w][\w.-]{0,127}`). */
export const MAX_TAG_LENGTH = 128;

/**
 * The tags these give (evalTags) whose tag part is longer than a registry
 * takes: a long branch name (`${{ git.branch }}` is never cut, see
 * src/bake/gitenv.ts tagSlug) makes one. Only tags built from git values:
 * a fixed tag was checked when the files were generated.
 */
export function overlongTags(tags: readonly Dyn[], env: Readonly<Record<string, string | undefined>>): { tag: string; length: number }[] {
  const out: { tag: string; length: number }[] = [];
  for (const d of tags) {
    if (isStatic(d)) continue;
    const tag = evalDyn(d, env);
    if (tag === undefined) continue;
    const length = tagPartLength(tag);
    if (length > MAX_TAG_LENGTH) out.push({ tag, length });
  }
  return out;
}

/** Characters after the `:` that follows the last `/` (0 for a reference with no tag). */
function tagPartLength(ref: string): number {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.length - colon - 1 : 0;
}

/** The value with the environment applied; undefined when a variable is unset or empty. */
export function evalDyn(d: Dyn, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (isStatic(d)) return d;
  let out = '';
  for (const p of d.parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = env[p.variable];
      if (!v) return undefined;
      out += v;
    }
  }
  return out;
}

/** The value as bake gives it when its variables are set from `env`: an unset or empty one is empty (an HCL variable's default). */
export function dynValue(d: Dyn, env: Readonly<Record<string, string | undefined>>): string {
  return isStatic(d) ? d : d.parts.map((p) => (typeof p === 'string' ? p : (env[p.variable] ?? ''))).join('');
}

/** A stable identity for comparisons (two targets writing the same tag pattern). */
export function dynKey(d: Dyn): string {
  return isStatic(d) ? d : d.parts.map((p) => (typeof p === 'string' ? p : `\${${p.variable}}`)).join('');
}

/**
 * Representative values, to validate a pattern (e.g. that a tag is a valid
 * reference). The semver variables, per service and stable ones included,
 * take theirs from src/resolve/cell.ts sampleEnv.
 */
export const SAMPLE_VALUES: Record<string, string> = {
  MATRIX_GIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  MATRIX_GIT_SHORT_SHA: '0123456',
  MATRIX_GIT_BRANCH: 'main',
  MATRIX_GIT_TAG: 'v1.2.3',
  MATRIX_GIT_SOURCE: 'https://example.com/acme/repo',
  MATRIX_GIT_CREATED: '2024-01-01T00:00:00Z',
};

/** How a Dyn is shown to people: variables as `${{ git.sha }}`-style names. */
export function dynText(d: Dyn, names: Readonly<Record<string, string>>): string {
  if (isStatic(d)) return d;
  return d.parts.map((p) => (typeof p === 'string' ? p : `\${{ ${names[p.variable] ?? p.variable} }}`)).join('');
}
