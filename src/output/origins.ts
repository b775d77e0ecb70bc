// Where each output comes from in the spec, so that a refusal to write it
// (a hand-written file, a directory, a path outside the repository) is
// reported at `matrix.yaml:LINE:COLUMN` like every other spec problem.
import path from 'node:path';
import { pathToString } from '../diagnostics.js';
import { positionOf } from '../load/load.js';
import type { ResolvedSpec } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';
import type { OutputOrigins } from './sync.js';

export function outputOrigins(loaded: CheckedSpec, spec: ResolvedSpec): OutputOrigins {
  const input = loaded.value;
  const out = new Map<string, { file: string; line: number; column: number; path: string }>();
  const at = (parts: string[], onKey: boolean) => ({ file: loaded.file, ...positionOf(loaded, parts, onKey), path: pathToString(parts) });

  out.set(spec.bakeFile, input.bake_file !== undefined ? at(['bake_file'], false) : at([], false));
  for (const t of spec.targets) {
    if (t.source.kind !== 'template' || out.has(t.dockerfile)) continue;
    // Where the place was chosen (`generated_file`/`generated_dir`), else the service's own `template:`,
    // else the service's name (its template comes from `defaults`): as resolve/generated.ts reports it.
    const svc = input.services[t.service];
    const placedBy = (['generated_file', 'generated_dir'] as const).find((f) => svc?.[f] !== undefined);
    const inDefaults = (['generated_file', 'generated_dir'] as const).find((f) => input.defaults?.[f] !== undefined);
    if (placedBy) out.set(t.dockerfile, at(['services', t.service, placedBy], false));
    else if (inDefaults) out.set(t.dockerfile, at(['defaults', inDefaults], false));
    else out.set(t.dockerfile, svc?.template !== undefined ? at(['services', t.service, 'template'], false) : at(['services', t.service], true));
  }
  return out;
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
