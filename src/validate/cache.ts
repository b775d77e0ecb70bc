// A registry cache `ref` is checked before any build, the way buildx reads it:
// bake hands each cache-from/cache-to entry to buildx as one CSV record
// (docker/buildx util/buildflags/cache.go: csv.NewReader, then key=value
// fields), and the `ref` field is parsed as a distribution reference
// (github.com/distribution/reference: lower-case path components, optional
// registry host[:port]). matrix appends its own tag per platform set
// (render/cache.ts), so `ref` names a repository: a tag or digest in it, an
// upper-case letter, or a `,`, `=` or quote that would split the record is a
// located error instead of a build that fails (or writes elsewhere) later.
import { pathToString, type Diagnostic } from '../diagnostics.js';
import { specDiagnostic } from '../load/load.js';
import type { ResolvedSpec } from '../spec.js';
import type { CheckedSpec } from './schema.js';
import { referenceProblem } from './reference.js';
import { cacheRepository } from '../render/cache.js';

export function cacheRefProblem(ref: string): string | undefined {
  if (/[,="'\s]/.test(ref)) return 'contains a comma, `=`, a quote or white space, which would split the cache entry buildx reads as CSV';
  if (ref.startsWith('-')) return 'starts with `-`';
  const p = referenceProblem(ref);
  if (p) return p;
  if (ref.includes('@')) return 'has a digest; `ref` names a repository (matrix adds a tag per platform set)';
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (last.includes(':')) return 'has a tag; `ref` names a repository (matrix adds a tag per platform set)';
  // The tag matrix adds is at most 128 characters; the name must leave room in buildx's 255.
  if (ref.length > 255) return 'is longer than the 255 characters of a repository name';
  return undefined;
}

export function cacheDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec): Diagnostic[] {
  const input = loaded.value;
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const t of spec.targets) {
    if (t.cache?.type !== 'registry') continue;
    const own = input.services[t.service]?.cache;
    const ref = t.cache.ref;
    if (ref === undefined) {
      // Without `ref` the cache lives next to the image: some tag must name its repository.
      if (cacheRepository(t) !== undefined || seen.has(t.service)) continue;
      seen.add(t.service);
      const at = own !== undefined ? ['services', t.service, 'cache'] : ['defaults', 'cache'];
      out.push(
        specDiagnostic(
          loaded,
          'invalid-cache-ref',
          at,
          `a registry cache needs a repository, and no tag of \`${t.service}\` names one without a git value (or it has no tag)`,
          'give the cache its own `ref` (e.g. `{ type: registry, ref: ghcr.io/acme/cache }`), or add a tag whose repository is fixed text',
        ),
      );
      continue;
    }
    const problem = cacheRefProblem(ref);
    if (!problem) continue;
    const at = own !== undefined ? ['services', t.service, 'cache', 'ref'] : ['defaults', 'cache', 'ref'];
    const key = pathToString(at);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(
      specDiagnostic(
        loaded,
        'invalid-cache-ref',
        at,
        `cache ref \`${ref}\` ${problem}`,
        'a cache ref is a repository in lower case, e.g. `ghcr.io/acme/cache` or `localhost:5000/team/cache`, without a tag',
      ),
    );
  }
  return out;
}
