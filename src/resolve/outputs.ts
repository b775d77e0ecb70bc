// bake `output` entries: buildx reads each as one CSV record of key=value
// fields (buildx util/buildflags/export.go, `ExportEntry.UnmarshalText`), e.g.
// `type=local,dest=dist/`, or a lone path as a local export to it. We parse them the same way, check the exporter and
// where a `dest` points, and write them back in a canonical CSV form.
import path from 'node:path';
import type { DiagnosticCode } from '../diagnostics.js';
import { isInside, toPosix } from '../paths.js';
import { csvField } from '../render/csv.js';
import { writeTargetProblem } from './writable.js';

/** Exporters buildx knows (docs: "docker buildx build --output"). */
export const EXPORTERS = ['local', 'tar', 'oci', 'docker', 'image', 'registry', 'cacheonly'] as const;
/** Exporters that write files and so need a `dest`. */
const NEEDS_DEST = new Set(['local', 'tar', 'oci']);

export interface OutputProblem {
  /** Set when the problem has a code of its own (else `invalid-output`). */
  code?: DiagnosticCode;
  message: string;
  hint: string;
}

/** One CSV record, as Go's encoding/csv reads it: `"` quotes a field, `""` is a quote inside one. */
export function parseCsvRecord(s: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return undefined; // unterminated quote
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ',') return undefined; // text after a closing quote
    } else {
      const end = s.indexOf(',', i);
      field = s.slice(i, end < 0 ? s.length : end);
      if (field.includes('"')) return undefined; // a bare quote inside a field
      i = end < 0 ? s.length : end;
    }
    fields.push(field);
    if (i >= s.length) return fields;
    i++; // the comma
  }
}

export interface OutputContext {
  specDir: string;
  repoRoot: string;
  realRoot: string;
}

/** A validated output entry in canonical form (dest spec-relative, POSIX), or what is wrong with it. */
export function checkOutput(raw: string, ctx: OutputContext): { value: string } | { problem: OutputProblem } {
  const fields = parseCsvRecord(raw);
  if (!fields) {
    return { problem: { message: `output \`${raw}\` is not valid CSV`, hint: 'write key=value pairs separated by commas; quote a value holding a comma with "..."' } };
  }
  // buildx's shorthand: a lone path is a local export to it (`output = ["./bin/build"]`).
  // A lone `key=value` is far more likely a forgotten `type=` than a directory named so: refused below.
  if (fields.length === 1 && fields[0] === raw && !raw.includes('=')) fields.splice(0, 1, 'type=local', `dest=${raw}`);
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    const eq = f.indexOf('=');
    const key = (eq < 0 ? f : f.slice(0, eq)).trim().toLowerCase();
    if (eq < 0 || !/^[a-z][a-z0-9._-]*$/.test(key)) {
      return { problem: { message: `output \`${raw}\` has a field \`${f}\` that is not key=value`, hint: 'e.g. `type=local,dest=dist/`' } };
    }
    if (seen.has(key)) return { problem: { message: `output \`${raw}\` sets \`${key}\` twice`, hint: 'give each key once' } };
    seen.add(key);
    pairs.push([key, f.slice(eq + 1)]);
  }
  const type = pairs.find(([k]) => k === 'type')?.[1];
  if (type === undefined) return { problem: { message: `output \`${raw}\` has no \`type\``, hint: `start with type=…, one of ${EXPORTERS.join(', ')}` } };
  if (!(EXPORTERS as readonly string[]).includes(type)) {
    return { problem: { message: `output type \`${type}\` is not an exporter buildx knows`, hint: `use one of ${EXPORTERS.join(', ')}` } };
  }
  const destIndex = pairs.findIndex(([k]) => k === 'dest');
  if (destIndex < 0) {
    if (NEEDS_DEST.has(type)) return { problem: { message: `output type \`${type}\` needs a \`dest\``, hint: `e.g. \`type=${type},dest=dist/\` (relative to the spec)` } };
  } else {
    const dest = checkDest(pairs[destIndex]![1], ctx);
    if ('problem' in dest) return dest;
    pairs[destIndex] = ['dest', dest.value];
  }
  return { value: pairs.map(([k, v]) => csvField(`${k}=${v}`)).join(',') };
}

function checkDest(dest: string, ctx: OutputContext): { value: string } | { problem: OutputProblem } {
  if (dest === '' || dest === '-') {
    return { problem: { message: 'an output `dest` must be a directory or file path', hint: 'writing to standard output would mix with the build log; give a path relative to the spec' } };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dest)) return { problem: { message: `output dest \`${dest}\` is a URL`, hint: 'give a path relative to the spec' } };
  if (path.isAbsolute(dest) || path.win32.isAbsolute(dest) || dest.startsWith('~')) {
    return { problem: { message: `output dest \`${dest}\` is not relative to the spec`, hint: 'give a path relative to the spec file, inside the repository' } };
  }
  const abs = path.resolve(ctx.specDir, dest);
  if (!isInside(ctx.repoRoot, abs) || abs === ctx.repoRoot) {
    return { problem: { message: `output dest \`${dest}\` is outside the repository`, hint: 'exports stay inside the repository, in a directory of their own (e.g. `dist/`)' } };
  }
  // Through symbolic links too, and never into the git directory (writable.ts);
  // an output that leads outside stays an `invalid-output`, as it always was.
  const problem = writeTargetProblem(ctx, dest, 'output dest');
  if (problem) return { problem: problem.code === 'path-in-git-dir' ? problem : { message: problem.message, hint: problem.hint } };
  const rel = toPosix(path.relative(ctx.specDir, abs));
  const trailing = /[\\/]$/.test(dest) ? '/' : '';
  return { value: (rel || '.') + trailing };
}

/**
 * The directory (spec-relative) that must exist before bake reads this output:
 * buildx opens the `dest` of a tar, oci or docker export as a file while it
 * reads its options (buildx controller/pb/export.go CreateExports, os.Create;
 * even for `--print`), so its parent must be there; a `local` export, or one
 * with `tar=false`, is a directory buildx makes itself. Undefined when none
 * is needed. `output` is a value checkOutput returned.
 */
export function exportParentDir(output: string): string | undefined {
  const pairs = (parseCsvRecord(output) ?? []).map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as const);
  const get = (k: string) => pairs.find(([key]) => key === k)?.[1];
  const type = get('type');
  const dest = get('dest');
  if (dest === undefined || !(type === 'tar' || type === 'oci' || type === 'docker') || get('tar') === 'false') return undefined;
  const dir = path.posix.dirname(dest);
  return dir === '.' ? undefined : dir;
}

/** An output's exporter: its `type`, or `local` for a lone path (buildx's shorthand). */
export function outputType(output: string): string | undefined {
  const fields = parseCsvRecord(output) ?? [];
  if (fields.length === 1 && !fields[0]!.includes('=')) return 'local';
  return fields.find((f) => f.startsWith('type='))?.slice('type='.length);
}

/**
 * A `type=docker` output that loads the image into the engine's own image
 * store (no `dest`): on the `docker` driver, a pushed image is kept there
 * already (the image exporter stores what it pushes), and a second exporter
 * writing the same image name into the same store made BuildKit fail the
 * build (`failed to solve: not found`) or hang, on this engine (Docker 26.1,
 * buildx 0.13.1, 2026-12-06).
 */
export function loadsIntoEngine(output: string): boolean {
  const fields = parseCsvRecord(output) ?? [];
  return outputType(output) === 'docker' && !fields.some((f) => f.startsWith('dest='));
}

/** Exporters that bake's --push makes push. */
export const PUSHED_TYPES: ReadonlySet<string> = new Set(['image', 'registry']);

/**
 * Does bake's `--push` push a target with these outputs? As buildx since 0.14
 * (bake/bake.go setPushOverride, `push` key of AddOverrides; its tests,
 * bake/bake_test.go TestPushOverride; docs/reference/buildx_bake.md, --push
 * "follows the same logic as --load"): a target without outputs gets
 * `type=image,push=true`; an `image` or `registry` output pushes; a target
 * whose every output is `docker` (loaded, or a docker tarball) gets an image
 * output that pushes beside them; a `local`, `tar`, `oci` or `cacheonly`
 * output without an image or registry one is built and exported, never
 * pushed. buildx 0.13 did not push the `docker`-only target (it set push only
 * on image and registry outputs): matrix pushes it on every buildx, as it
 * spells each pushed target's outputs out itself (ci/shard.ts), so a shard and
 * `matrix merge` on machines with different buildx agree.
 */
export function pushedByBake(outputs: readonly string[]): boolean {
  return outputs.length === 0 || outputs.some((o) => PUSHED_TYPES.has(outputType(o) ?? '')) || outputs.every((o) => outputType(o) === 'docker');
}
