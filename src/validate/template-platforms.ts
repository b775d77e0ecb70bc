// Which platforms a template can produce. Each built-in template declares
// them in its front matter:
//   platforms:
//     image: [linux/amd64, linux/arm64]     # images it can build
//     output: [darwin/arm64, windows/amd64] # only as files, with an `output` export
// A user template without `platforms:` is taken at its word (anything).
// `validate` (every compile) rejects a target platform the template cannot
// produce, naming the template; `plan` marks it "unsupported".
import type { CheckedSpec } from './schema.js';
import type { Diagnostic } from '../diagnostics.js';
import { specPlatformProblem } from '../platforms.js';
import { specDiagnostic } from '../load/load.js';
import type { ParsedTemplate, TemplateMeta } from '../render/template.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { templatedTargets } from './templated.js';

export interface TemplatePlatforms {
  image?: string[];
  output?: string[];
}

export type PlatformSupport = 'image' | 'output' | 'unsupported';

/**
 * The first problem with a front matter `platforms:` value, with the entry it
 * is about (`value`, to locate it) and a hint. Each entry must be a canonical
 * platform name (src/platforms.ts specPlatformProblem, the check of the
 * spec's own `platforms:` and of builder nodes): targets' platforms are canonical and compared with these as
 * strings, so an alias (`linux/aarch64`) would never match its platform.
 */
export function platformsDeclarationIssue(v: unknown): { problem: string; value?: string; hint?: string } | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: '`platforms` must be a mapping with `image` and/or `output` lists' };
  for (const [k, list] of Object.entries(v)) {
    if (k !== 'image' && k !== 'output') return { problem: `\`platforms.${k}\` is not known (use \`image\` or \`output\`)` };
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) return { problem: `\`platforms.${k}\` must be a list of platforms like linux/amd64` };
    for (const p of list as string[]) {
      const bad = specPlatformProblem(p);
      if (bad) return { problem: `\`platforms.${k}\`: ${bad.message}`, value: p, hint: bad.hint };
    }
  }
  return undefined;
}

export function platformSupport(meta: Pick<TemplateMeta, 'platforms'>, platform: string): PlatformSupport {
  const d = meta.platforms;
  if (!d) return 'image';
  if (d.image?.includes(platform)) return 'image';
  if (d.output?.includes(platform)) return 'output';
  return 'unsupported';
}

/** Whether a target exports files (an `output` of type `local` or `tar`) rather than an image. */
export function exportsFiles(t: Target): boolean {
  return t.outputs.some((e) => {
    // buildx's CSV form, or its lone-path shorthand (a local export).
    const type = /(?:^|,)\s*type=([a-z]+)/.exec(e)?.[1] ?? (e.includes('=') ? undefined : 'local');
    return type === 'local' || type === 'tar';
  });
}

export function templatePlatformDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec, templates: ReadonlyMap<string, ParsedTemplate>): Diagnostic[] {
  const input = loaded.value;
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const [t, tpl] of templatedTargets(spec, templates)) {
    if (!tpl.meta.platforms) continue;
    const name = t.source.builtin ? t.source.template : t.source.file;
    const svc = input.services[t.service];
    const base = svc?.platforms ? ['services', t.service, 'platforms'] : input.defaults?.platforms ? ['defaults', 'platforms'] : input.platforms ? ['platforms'] : ['services', t.service];
    t.platforms.forEach((p, i) => {
      const support = platformSupport(tpl.meta, p);
      if (support === 'image' || (support === 'output' && exportsFiles(t))) return;
      const at = base.length === 2 && base[0] === 'services' ? base : [...base, i];
      const images = tpl.meta.platforms!.image ?? [];
      const files = tpl.meta.platforms!.output ?? [];
      const d = specDiagnostic(
        loaded,
        'unsupported-platform',
        at,
        support === 'output' ? `template \`${name}\` builds ${p} only as files, not as an image` : `template \`${name}\` cannot produce ${p}`,
        support === 'output'
          ? `export the binary with \`output: type=local,dest=dist/\` on \`${t.service}\`, or build ${images.slice(0, 3).join(', ')}${images.length > 3 ? ', ...' : ''} images`
          : `its images are for ${images.join(', ') || 'no platform'}${files.length ? `; as files (with \`output\`) also ${files.join(', ')}` : ''}; remove ${p}, or write a Dockerfile (or your own template) for it`,
      );
      const id = `${d.path}\u0000${d.message}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push(d);
    });
  }
  return out;
}

/**
 * For `plan`: can the target's template produce `platform`? Built-in and user
 * templates are read (and cached) from `templates`, keyed like resolve's map.
 */
export function targetSupports(t: Target, platform: string, templates: ReadonlyMap<string, ParsedTemplate>): boolean {
  if (t.source.kind !== 'template') return true;
  const meta = templates.get(t.source.file)?.meta;
  if (!meta) return true;
  const s = platformSupport(meta, platform);
  return s === 'image' || (s === 'output' && exportsFiles(t));
}
