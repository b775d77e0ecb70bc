// A build secret must not also be a file of the build context: `COPY . .`
// (which every built-in template does) would copy it into an image layer,
// where anyone who can pull the image reads it. A secret `src` inside a
// target's context is an error unless the .dockerignore BuildKit uses for that
// build excludes it (BuildKit prefers `<Dockerfile>.dockerignore` next to the
// Dockerfile to the context's own `.dockerignore`; docs.docker.com/build/
// concepts/context/#filename-and-location), read with the project's own
// matcher (src/dockerfile/dockerignore.ts, moby/patternmatcher's rules).
import path from 'node:path';
import { pathToString, type Diagnostic } from '../diagnostics.js';
import { parseDockerignore, type Dockerignore } from '../dockerfile/dockerignore.js';
import { realpath } from '../fs/probe.js';
import { readRegularText } from '../fs/read.js';
import { specDiagnostic } from '../load/load.js';
import { readAllowed, type Allowed } from '../bake/entitlements.js';
import { isInside, toPosix } from '../paths.js';
import type { ResolvedSpec, Target } from '../spec.js';
import type { CheckedSpec } from './schema.js';

/** A .dockerignore larger than this is not read (it is not one a person wrote). */
const MAX_IGNORE_BYTES = 1024 * 1024;

/** The ignore file's text, or undefined when there is none that can be read (then nothing is excluded: the safe side). */
function readIgnore(file: string): string | undefined {
  try {
    return readRegularText(file, { maxBytes: MAX_IGNORE_BYTES });
  } catch {
    return undefined;
  }
}

function real(p: string): string {
  try {
    return realpath(p);
  } catch {
    return p;
  }
}

/**
 * Where buildx reads `src` from: relative to the spec directory (bake runs
 * there). buildx expands no `~` (util/buildflags/secrets.go parseSecret keeps
 * `src` as written, and BuildKit's file store opens it as a path), so
 * `~/.npmrc` is a directory named `~` there: tildeProblem refuses it.
 */
export function secretSourcePath(src: string, specDir: string): string {
  return path.resolve(specDir, src);
}

/** Why a secret's `src` that starts with `~` would not be the home directory, or undefined. */
function tildeProblem(src: string): string | undefined {
  if (src !== '~' && !src.startsWith('~/')) return undefined;
  return `secret source \`${src}\` starts with \`~\`, which buildx does not expand: bake would read a directory named \`~\` in the spec's directory`;
}

/** Where a target's secret `i` comes from in the spec: the service's own list, or `defaults`. */
function secretSrcAt(input: CheckedSpec['value'], service: string, i: number): (string | number)[] {
  return input.services[service]?.secrets ? ['services', service, 'secrets', i, 'src'] : ['defaults', 'secrets', i, 'src'];
}

/** A located error for each secret `src` that starts with `~` (tildeProblem), once per place in the spec. */
function tildeDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  for (const t of spec.targets) {
    t.secrets.forEach((s, i) => {
      const problem = s.src === undefined ? undefined : tildeProblem(s.src);
      const at = secretSrcAt(loaded.value, t.service, i);
      if (!problem || out.has(pathToString(at))) return;
      const hint = "write the path from the spec's directory or an absolute one, or pass the value in an environment variable: `{ id: npmrc, env: NPM_TOKEN }`";
      out.set(pathToString(at), specDiagnostic(loaded, 'invalid-value', at, problem, hint));
    });
  }
  return [...out.values()];
}

export function secretDiagnostics(loaded: CheckedSpec, spec: ResolvedSpec, specDir: string): Diagnostic[] {
  const input = loaded.value;
  const out: Diagnostic[] = tildeDiagnostics(loaded, spec);
  const seen = new Set<string>();
  const ignores = new Map<string, Dockerignore | undefined>();
  const ignoreFor = (dockerfile: string, context: string): { file: string; ignore: Dockerignore } | undefined => {
    for (const f of [`${dockerfile}.dockerignore`, path.join(context, '.dockerignore')]) {
      if (!ignores.has(f)) {
        const text = readIgnore(f);
        ignores.set(f, text === undefined ? undefined : parseDockerignore(text));
      }
      const ig = ignores.get(f);
      if (ig) return { file: f, ignore: ig };
    }
    return undefined;
  };
  for (const t of spec.targets) {
    t.secrets.forEach((s, i) => {
      if (s.src === undefined || tildeProblem(s.src)) return; // tildeDiagnostics
      const at = secretSrcAt(input, t.service, i);
      const contextAbs = path.resolve(specDir, t.context);
      const srcAbs = secretSourcePath(s.src, specDir);
      // Lexically inside, or inside once symbolic links are followed.
      let rel: string | undefined;
      if (isInside(contextAbs, srcAbs)) rel = toPosix(path.relative(contextAbs, srcAbs));
      else if (isInside(real(contextAbs), real(srcAbs))) rel = toPosix(path.relative(real(contextAbs), real(srcAbs)));
      // The context directory itself is no file COPY could pick up (and buildx cannot read it as a secret).
      if (rel === undefined || rel === '') return;
      const ig = ignoreFor(path.resolve(specDir, t.dockerfile), contextAbs);
      if (ig?.ignore.isIgnored(rel)) return;
      const id = `${pathToString(at)}\u0000${t.context}`;
      if (seen.has(id)) return;
      seen.add(id);
      const ignoreName = ig ? toPosix(path.relative(specDir, ig.file)) : toPosix(path.join(t.context, '.dockerignore'));
      out.push(
        specDiagnostic(
          loaded,
          'secret-in-context',
          at,
          `secret \`${s.id}\` comes from \`${s.src}\`, which is inside the build context \`${t.context}\` of \`${t.name}\` and not excluded by ${ig ? `\`${ignoreName}\`` : 'a .dockerignore'}: \`COPY . .\` would copy it into the image`,
          `add \`${rel}\` to ${ignoreName}, or move the file out of the build context (a path outside \`${t.context}\`)`,
        ),
      );
    });
  }
  return out;
}

/**
 * A located error for each secret `src` of `targets` whose real path is
 * outside the repository and not below a path `--allow fs.read=` gives
 * (src/bake/entitlements.ts): bake would hand that file to the build.
 */
export function secretsOutsideRepo(loaded: CheckedSpec, targets: readonly Target[], where: { specDir: string; repoRoot: string; realRoot: string }, allowed: Allowed): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  for (const t of targets) {
    t.secrets.forEach((s, i) => {
      if (s.src === undefined || tildeProblem(s.src)) return;
      const at = secretSrcAt(loaded.value, t.service, i);
      const key = pathToString(at);
      const file = secretSourcePath(s.src, where.specDir);
      if (out.has(key) || readAllowed(file, where.realRoot, allowed)) return;
      out.set(
        key,
        specDiagnostic(
          loaded,
          'secret-outside-repo',
          at,
          `secret \`${s.id}\` comes from \`${s.src}\`, which is outside the repository${isInside(where.repoRoot, file) ? ' through a symbolic link' : ''}: the build would be handed that file`,
          `allow it on the command line, as buildx bake asks: \`--allow fs.read=${path.dirname(file)}\`; or pass the value in an environment variable: \`{ id: ${s.id}, env: NAME }\``,
        ),
      );
    });
  }
  return [...out.values()];
}
