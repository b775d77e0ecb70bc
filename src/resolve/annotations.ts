// A service's annotation keys beyond their shape (the schema's): the platform
// of a level, and two keys that would set the same annotation.
import { annotationKeys, annotationLevels } from '../annotations.js';
import { specPlatformProblem } from '../platforms.js';
import type { ServiceInput } from '../spec.js';
import { keyOrigin, type ResolveContext } from './context.js';

/**
 * True when every annotation key of the service is usable, else false
 * (reported): a level's platform, `manifest[linux/arm64]:KEY`, must be a
 * canonical platform name as everywhere in the spec (buildx reads it with
 * containerd's platforms.Parse, util/buildflags/export.go ParseAnnotations);
 * and no two keys may name the same level and key (`index:K` and
 * `index,manifest:K`): bake would keep whichever comes last.
 */
export function checkAnnotationKeys(ctx: ResolveContext, name: string, svc: ServiceInput): boolean {
  let ok = true;
  const seen = new Map<string, string>();
  for (const key of Object.keys(svc.annotations ?? {})) {
    const at = keyOrigin(ctx, name, 'annotations', key);
    for (const { platform } of annotationLevels(key)) {
      const problem = platform === undefined ? undefined : specPlatformProblem(platform);
      if (!problem) continue;
      ok = false;
      ctx.report.err('unknown-platform', at, `annotation \`${key}\`: ${problem.message}`, problem.hint, true);
    }
    for (const k of annotationKeys(key)) {
      const other = seen.get(k);
      if (other === undefined) {
        seen.set(k, key);
        continue;
      }
      ok = false;
      ctx.report.err('conflicting-keys', at, `annotations \`${other}\` and \`${key}\` both set \`${k}\``, 'give each level and key one value: remove the level from one of them', true);
      break;
    }
  }
  return ok;
}
