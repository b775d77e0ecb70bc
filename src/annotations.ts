// Annotation keys with bake's level prefix, `index,manifest[linux/arm64]:KEY`:
// what precedes the first `:` is a comma-separated list of levels, each
// `index`, `index-descriptor`, `manifest` or `manifest-descriptor`, optionally
// with a platform in brackets (docker/buildx util/buildflags/export.go
// ParseAnnotations; docs/bake-reference.md `target.annotations`). A key
// without a prefix goes on each image manifest.

/** The levels buildx accepts (BuildKit exporter/containerimage/exptypes AnnotationIndex...). */
export const ANNOTATION_LEVELS = ['index', 'index-descriptor', 'manifest', 'manifest-descriptor'] as const;

/** The levels of `key`, each with its platform if any; none for a key without a prefix. The schema has checked the form. */
export function annotationLevels(key: string): { level: string; platform?: string }[] {
  const colon = key.indexOf(':');
  if (colon < 0) return [];
  return key
    .slice(0, colon)
    .split(',')
    .map((l) => {
      const m = /^([a-z-]+)(?:\[([^\]]*)\])?$/.exec(l);
      return m?.[2] === undefined ? { level: m?.[1] ?? l } : { level: m[1]!, platform: m[2] };
    });
}

/**
 * The keys to write in docker-bake.hcl for `key`: one per level. buildx 0.16
 * and later split a list of levels into one annotation per level with the
 * same key and value (commit b00001d8a, "Make multi-type annotation settings
 * match docs"); buildx 0.13 to 0.15 take `index,manifest:KEY` whole as a key
 * of the manifest (their ParseAnnotations reads one level). Written one level
 * an entry, every buildx 0.13+ reads it as 0.16 does.
 */
export function annotationKeys(key: string): string[] {
  const colon = key.indexOf(':');
  if (colon < 0) return [key];
  const name = key.slice(colon + 1);
  return key
    .slice(0, colon)
    .split(',')
    .map((level) => `${level}:${name}`);
}
