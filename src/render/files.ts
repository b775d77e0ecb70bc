// Stage 5: targets -> the exact bytes of every generated file. Pure: it reads
// the resolved model (file names included) and never changes it.
import path from 'node:path';
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { finishDockerfile } from './header.js';
import { renderBakeFile } from './hcl.js';
import { TemplateError, wrap, type ParsedTemplate } from './template.js';

export interface RenderedFiles {
  /** Spec-dir-relative POSIX path -> content, in a stable order (Dockerfiles, then the bake file). */
  files: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** The spec's path as seen from a generated file (spec-dir-relative), via repo-relative paths only. */
export function specRelFrom(file: string, spec: Pick<ResolvedSpec, 'specRepoPath'>): string {
  const specAbs = path.posix.join('/', spec.specRepoPath);
  const fileAbs = path.posix.join(path.posix.dirname(specAbs), file);
  return path.posix.relative(path.posix.dirname(fileAbs), specAbs);
}

export function templateContext(t: Target, registry: string | undefined, declaredArgs: ReadonlySet<string> = new Set()): object {
  return wrap({
    service: t.service,
    target: t.name,
    // Every key of the matrix, '' where this combination lacks one (GitHub reads a missing key as empty).
    matrix: Object.fromEntries([...t.axes.map((a) => [a, t.cell[a] ?? ''] as const), ...Object.entries(t.cell)]),
    with: t.with,
    // The service's own args the template does not declare itself, for `{{#each args}}ARG {{ident this}}{{/each}}`.
    // `defaults.args` serve every service: a Dockerfile gets an ARG for one only when its template declares it.
    args: Object.keys(t.args).filter((a) => !declaredArgs.has(a) && (t.ownArgs ?? Object.keys(t.args)).includes(a)),
    dependencies: Object.keys(t.contexts),
    registry: registry ?? '',
  }) as object;
}

/** `rendered`: Dockerfile texts resolve already rendered (resolve/dockerfiles.ts), written as they are. */
export function renderFiles(spec: ResolvedSpec, templates: ReadonlyMap<string, ParsedTemplate>, rendered: ReadonlyMap<string, string> = new Map()): RenderedFiles {
  const files = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const byName = new Map(spec.targets.map((t) => [t.name, t]));

  for (const [, names] of spec.services) {
    const targets = names.map((n) => byName.get(n)!);
    const first = targets[0];
    if (!first || first.source.kind !== 'template') continue;
    if (targets.every((t) => rendered.has(t.dockerfile))) {
      for (const t of targets) files.set(t.dockerfile, rendered.get(t.dockerfile)!);
      continue;
    }
    const tpl = templates.get(first.source.file)!;
    const own = new Map<string, string>();
    for (const t of targets) {
      try {
        const text = finishDockerfile(tpl.render(templateContext(t, spec.registry, tpl.declaredArgs)), specRelFrom(t.dockerfile, spec));
        // resolve named the files (resolve/dockerfiles.ts): targets that share one render to the same text.
        if (own.has(t.dockerfile) && own.get(t.dockerfile) !== text) throw new Error(`targets sharing ${t.dockerfile} render differently`);
        own.set(t.dockerfile, text);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        diagnostics.push(
          diagnostic({
            code: 'template-error',
            file: tpl.file,
            line: e.line,
            column: e.column,
            path: ['services', t.service],
            message: `rendering \`${t.name}\`: ${e.message}`,
            hint: e.hint || undefined,
          }),
        );
        own.clear();
        break;
      }
    }
    for (const [file, text] of own) files.set(file, text);
  }
  if (diagnostics.length) return { files, diagnostics };

  const generated = [...files.keys()].sort();
  const groups: (readonly [string, readonly string[]])[] = [['default', spec.targets.map((t) => t.name)]];
  for (const [service, names] of spec.services) {
    if (names.length !== 1 || names[0] !== service) groups.push([service, names]);
  }
  groups.push(...spec.groups);
  files.set(spec.bakeFile, renderBakeFile({ specRel: specRelFrom(spec.bakeFile, spec), targets: spec.targets, groups, generated }));
  return { files, diagnostics };
}
