// The targets built from a template, each with its parsed template: what the
// rules about template parameters and template platforms both walk.
import type { ParsedTemplate } from '../render/template.js';
import type { DockerfileSource, ResolvedSpec, Target } from '../spec.js';

/** A target whose Dockerfile comes from a template. */
export type TemplatedTarget = Target & { source: Extract<DockerfileSource, { kind: 'template' }> };

export function* templatedTargets(spec: ResolvedSpec, templates: ReadonlyMap<string, ParsedTemplate>): Generator<[TemplatedTarget, ParsedTemplate]> {
  for (const t of spec.targets) {
    if (t.source.kind !== 'template') continue;
    const tpl = templates.get(t.source.file);
    if (tpl) yield [t as TemplatedTarget, tpl];
  }
}
