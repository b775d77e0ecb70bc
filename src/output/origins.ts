// Where each output comes from in the spec, so that a refusal to write it
// (a hand-written file, a directory, a path outside the repository) is
// reported at `matrix.yaml:LINE:COLUMN` like every other spec problem.
import path from 'node:path';
import { pathToString } from '../diagnostics.js';
import { positionOf } from '../load/load.js';
import type { ResolvedSpec } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';
import type { OutputOrigins } from './sync.js';

type Origin = { file: string; line: number; column: number; path: string };

/**
 * Where each output comes from. A position is looked up only when asked for
 * (a refusal to write that file): finding it needs the spec's YAML document,
 * which a spec read without one (load/plain-yaml.ts) then parses.
 */
export function outputOrigins(loaded: CheckedSpec, spec: ResolvedSpec): OutputOrigins {
  const input = loaded.value;
  const where = new Map<string, { parts: string[]; onKey: boolean }>();
  where.set(spec.bakeFile, input.bake_file !== undefined ? { parts: ['bake_file'], onKey: false } : { parts: [], onKey: false });
  for (const t of spec.targets) {
    if (t.source.kind !== 'template' || where.has(t.dockerfile)) continue;
    // Where the place was chosen (`generated_file`/`generated_dir`), else the service's own `template:`,
    // else the service's name (its template comes from `defaults`): as resolve/generated.ts reports it.
    const svc = input.services[t.service];
    const placedBy = (['generated_file', 'generated_dir'] as const).find((f) => svc?.[f] !== undefined);
    const inDefaults = (['generated_file', 'generated_dir'] as const).find((f) => input.defaults?.[f] !== undefined);
    if (placedBy) where.set(t.dockerfile, { parts: ['services', t.service, placedBy], onKey: false });
    else if (inDefaults) where.set(t.dockerfile, { parts: ['defaults', inDefaults], onKey: false });
    else where.set(t.dockerfile, svc?.template !== undefined ? { parts: ['services', t.service, 'template'], onKey: false } : { parts: ['services', t.service], onKey: true });
  }
  const at = ({ parts, onKey }: { parts: string[]; onKey: boolean }): Origin => ({ file: loaded.file, ...positionOf(loaded, parts, onKey), path: pathToString(parts) });
  return {
    get: (file: string) => {
      const w = where.get(file);
      return w && at(w);
    },
  };
}

/**
 * Absolute paths of every file the spec reads or points a build at: the spec
 * itself, hand-written Dockerfiles, user templates, secret files and each
 * context's .dockerignore. `gen` never removes one of them as an orphan.
 */
export function specInputs(specPath: string, specDir: string, spec: ResolvedSpec): string[] {
  const out = new Set<string>([path.resolve(specPath)]);
  for (const t of spec.targets) {
    if (t.source.kind === 'dockerfile' || !t.source.builtin) out.add(path.resolve(specDir, t.source.file));
    out.add(path.resolve(specDir, t.context, '.dockerignore'));
    out.add(path.resolve(specDir, `${t.dockerfile}.dockerignore`));
    for (const s of t.secrets) if (s.src !== undefined) out.add(path.resolve(specDir, s.src));
  }
  return [...out];
}
