// Where a service's generated Dockerfile is written: its context (the
// default), `generated_file` (one path) or `generated_dir` (a folder, e.g. one
// outside every context, as `SERVICE.Dockerfile`). bake resolves `dockerfile`
// against `context`, so a file outside the context is given as a relative
// `../` path (render/hcl.ts `relativeToContext`); buildx reads it from the
// local disk, where any path works:
// https://docs.docker.com/build/bake/reference/#targetdockerfile
//
// Then every generated path is checked once, here, for what `gen` would
// refuse: two services on one path, a file the spec reads, and whatever is on
// disk (output/existing.ts, the same check `gen` makes before writing). So
// `validate` fails exactly when `gen` would.
import path from 'node:path';
import type { DiagnosticCode } from '../diagnostics.js';
import { claimEmpty, manifestOf, outputDigestState, outputState, refusal, type OutputState } from '../output/existing.js';
import { isInside, kindOf, toPosix } from '../paths.js';
import type { ServiceInput, Target } from '../spec.js';
import { origin, type Path, type ResolveContext } from './context.js';
import { interpolate, varsFor } from './vars.js';
import { writeTargetProblem, type WhereWritten, type WriteProblem } from './writable.js';

/** A chosen place: an exact file, or a folder (the file is `SERVICE.Dockerfile` there). */
export type GeneratedPlace = { file: string; at: Path } | { dir: string; at: Path };

const FIELDS = ['generated_file', 'generated_dir'] as const;

/**
 * The place the service chose, if any (undefined: its context); false when
 * the choice is wrong (reported). Only services with a template generate.
 */
export function generatedPlace(ctx: ResolveContext, name: string, svc: ServiceInput, generates: boolean): GeneratedPlace | undefined | false {
  const own = ctx.input.services[name]!;
  if (!generates) {
    const field = FIELDS.find((f) => own[f] !== undefined);
    if (!field) return undefined; // from `defaults`: it serves the services that generate
    ctx.report.err(
      'conflicting-keys',
      ['services', name, field],
      `\`${field}\` places a generated Dockerfile, but \`${name}\` builds a hand-written one`,
      'remove it, or use `template:` instead of `dockerfile:`',
      true,
    );
    return false;
  }
  // The service's own choice wins over `defaults`; both fields at one level contradict each other.
  const level = FIELDS.some((f) => own[f] !== undefined) ? own : (ctx.input.defaults ?? {});
  if (level.generated_file !== undefined && level.generated_dir !== undefined) {
    const at = level === own ? ['services', name] : ['defaults'];
    ctx.report.err(
      'conflicting-keys',
      [...at, 'generated_dir'],
      'both `generated_file` and `generated_dir` are set',
      '`generated_file` is the exact path; `generated_dir` a folder for `SERVICE.Dockerfile`: keep one',
      true,
    );
    return false;
  }
  const field = level.generated_file !== undefined ? 'generated_file' : level.generated_dir !== undefined ? 'generated_dir' : undefined;
  if (!field) return undefined;
  const at = origin(ctx, name, field);
  const raw = interpolate(svc[field]!, varsFor(name, name, ctx.input.registry, {}));
  if (raw.unknown.length) {
    ctx.report.err('unknown-variable', at, `unknown variable \`${raw.unknown[0]}\` in ${field}`, `only \`\${{ service }}\` is available in \`${field}\``);
    return false;
  }
  const rel = outputPath(ctx, raw.value, at, field);
  if (rel === undefined) return false;
  return field === 'generated_file' ? { file: rel, at } : { dir: rel, at };
}

/** A path matrix will write to (it need not exist yet): spec-relative POSIX, inside the repository, also through symbolic links. */
function outputPath(ctx: ResolveContext, raw: string, at: Path, field: string): string | undefined {
  const fail = (code: DiagnosticCode, message: string, hint: string) => {
    ctx.report.err(code, at, message, hint);
    return undefined;
  };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return fail('remote-path', `${field} \`${raw}\` is a URL`, 'give a path relative to the spec');
  if (path.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw))
    return fail('absolute-path', `${field} \`${raw}\` is an absolute path`, 'give a path relative to the spec file, so the spec works in every clone');
  const abs = path.resolve(ctx.specDir, raw);
  const inside = `paths must stay inside ${toPosix(path.relative(ctx.cwd, ctx.repoRoot) || '.')}`;
  if (!isInside(ctx.repoRoot, abs)) return fail('path-outside-repo', `${field} \`${raw}\` is outside the repository`, inside);
  if (abs === path.resolve(ctx.repoRoot)) return fail('invalid-value', `${field} \`${raw}\` is the repository itself`, 'name a folder (or, for generated_file, a file) inside it');
  // Through symbolic links too (the file's folder, which gen creates), and never into the git directory (writable.ts).
  const problem = writeTargetProblem(ctx, raw, field, field === 'generated_dir' ? 'dir' : 'file');
  if (problem) return fail(problem.code, problem.message, problem.code === 'path-outside-repo' ? inside : problem.hint);
  const blocked = notAFolder(field === 'generated_dir' ? abs : path.dirname(abs));
  if (blocked) return fail('wrong-path-kind', `${field} \`${raw}\`: ${toPosix(path.relative(ctx.specDir, blocked)) || '.'} is not a directory`, 'choose a folder (gen creates missing ones)');
  return toPosix(path.relative(ctx.specDir, abs)) || '.';
}

/** The nearest existing path at or above `dir`, when it is not a directory (gen could not create the folder). */
function notAFolder(dir: string): string | undefined {
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
    const kind = kindBelowFile(d);
    if (kind === 'dir') return undefined;
    if (kind !== 'missing') return d;
  }
  return undefined;
}

/** kindOf, where a file in the way (ENOTDIR) means "look further up": the walk finds that file itself. */
function kindBelowFile(d: string): ReturnType<typeof kindOf> {
  try {
    return kindOf(d);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw e;
  }
}

/** The refusal of a file gen writes into the git directory (other misplacements are outputState's). */
function inGitDir(where: WhereWritten, file: string, what: string): WriteProblem | undefined {
  const problem = writeTargetProblem(where, file, what, 'file');
  return problem?.code === 'path-in-git-dir' ? problem : undefined;
}

/** The generated Dockerfile's spec-relative path for a chosen place. */
export function placedDockerfile(place: GeneratedPlace, service: string): string {
  return 'file' in place ? place.file : place.dir === '.' ? `${service}.Dockerfile` : `${place.dir}/${service}.Dockerfile`;
}

/** Where a refusal of a service's generated Dockerfile points: its place, else its own `template:`, else the service's name. */
function dockerfileOrigin(ctx: ResolveContext, service: string, places: ReadonlyMap<string, GeneratedPlace>): { at: Path; onKey: boolean } {
  const place = places.get(service);
  if (place) return { at: place.at, onKey: false };
  if (ctx.input.services[service]?.template !== undefined) return { at: ['services', service, 'template'], onKey: false };
  return { at: ['services', service], onKey: true };
}

/**
 * Two generated paths that differ only in case are one file where clones often
 * live (macOS and Windows file systems ignore case; git's clone warns "the
 * following paths have collided", builtin/clone.c): one service would build
 * the other's Dockerfile there. The message when `t`'s path has such a twin.
 */
function caseTwin(folded: Map<string, Target>, abs: string, t: Target): string | undefined {
  const key = abs.toLowerCase();
  const other = folded.get(key);
  if (other === undefined) {
    folded.set(key, t);
    return undefined;
  }
  return `the generated Dockerfiles of \`${other.service}\` (${other.dockerfile}) and \`${t.service}\` (${t.dockerfile}) differ only in case`;
}

/**
 * Every output `gen` would write, checked as `gen` checks it: generated
 * Dockerfiles (one service each, none of them a file the spec reads) and the
 * bake file (not taken by a Dockerfile), then what is on disk at each path.
 */
export function checkOutputs(ctx: ResolveContext, targets: readonly Target[], places: ReadonlyMap<string, GeneratedPlace>, bakeFile: string, keepTexts: boolean): Map<string, OutputState> {
  const states = new Map<string, OutputState>();
  const owner = new Map<string, string>();
  const folded = new Map<string, Target>();
  const reads = new Map<string, string>([[path.resolve(ctx.specDir, bakeFile), `the bake file`]]);
  for (const t of targets) {
    if (t.source.kind === 'dockerfile') reads.set(path.resolve(ctx.specDir, t.source.file), `the hand-written Dockerfile of \`${t.service}\``);
    else if (!t.source.builtin) reads.set(path.resolve(ctx.specDir, t.source.file), `the template of \`${t.service}\``);
  }
  const where = { specDir: ctx.specDir, repoRoot: ctx.repoRoot, realRoot: ctx.realRoot };
  const realDirs = new Map<string, string | undefined>();
  // On a large spec kept as digests, what is on disk is read as a digest too, a
  // piece at a time (output/existing.ts outputDigestState): gen compares it with
  // the new file's digest and holds no old text, nor ever the whole of one (issue 18).
  const stateOf = (file: string, manifest = false) => (keepTexts ? outputState(where, file, realDirs) : outputDigestState(where, file, realDirs, manifest));
  // The bake file first: the files its manifest lists are the only empty ones matrix may claim (claimEmpty).
  const bakeState = stateOf(bakeFile, true);
  const listed = new Set(bakeState.kind === 'file' && bakeState.ours ? (manifestOf(bakeState) ?? []).map((f) => path.resolve(ctx.specDir, f)) : []);
  for (const t of targets) {
    if (t.source.kind !== 'template') continue;
    const abs = path.resolve(ctx.specDir, t.dockerfile);
    const first = owner.get(abs);
    if (first === t.service) continue;
    const { at, onKey } = dockerfileOrigin(ctx, t.service, places);
    const hint = 'give each service its own place with `generated_file`, or `generated_dir` (files there are named after the service)';
    if (first !== undefined) {
      ctx.report.err('output-collision', at, `\`${first}\` and \`${t.service}\` would both write their generated Dockerfile to ${t.dockerfile}`, hint, onKey);
      continue;
    }
    owner.set(abs, t.service);
    const twin = caseTwin(folded, abs, t);
    if (twin) {
      ctx.report.err('output-collision', at, twin, 'rename one of them: a case-insensitive file system (macOS, Windows) holds one file for both', onKey);
      continue;
    }
    const inGit = inGitDir(where, t.dockerfile, 'generated Dockerfile');
    if (inGit) {
      ctx.report.err(inGit.code, at, inGit.message, inGit.hint, onKey);
      continue;
    }
    const taken = reads.get(abs);
    if (taken) {
      ctx.report.err('output-collision', at, `the generated Dockerfile of \`${t.service}\` would overwrite ${t.dockerfile}, ${taken}`, hint, onKey);
      continue;
    }
    const state = claimEmpty(stateOf(t.dockerfile), listed.has(abs));
    states.set(t.dockerfile, state);
    const refused = refusal(t.dockerfile, state, false);
    if (refused) ctx.report.err(refused.code, at, refused.message, refused.hint, onKey);
  }
  states.set(bakeFile, bakeState);
  const refused = inGitDir(where, bakeFile, 'bake_file') ?? refusal(bakeFile, bakeState, true);
  if (refused) ctx.report.err(refused.code, ctx.input.bake_file !== undefined ? ['bake_file'] : [], refused.message, refused.hint);
  return states;
}
