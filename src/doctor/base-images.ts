// The base images a build pulls, read from its Dockerfiles the way BuildKit
// resolves a FROM line: global ARGs (declared before the first FROM) with
// their defaults, overridden by the target's build args; `FROM <stage>` and
// `FROM <named context>` pull nothing. Used by `matrix doctor` (does every
// base image resolve?) and by `matrix bake` (which image failed, and which
// build arg points the template at a mirror).
// Dockerfile reference, "Understand how ARG and FROM interact":
// https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact
import path from 'node:path';
import { dockerEnd, type Docker } from '../adapters/docker.js';
import type { PlannedTarget } from '../plan/build-plan.js';
import { readRegularText } from '../fs/read.js';
import { logicalLines } from '../dockerfile/directives.js';
import { parseStages } from '../dockerfile/stages.js';
import type { Check } from './doctor.js';
import { lastLine } from '../adapters/process.js';

export interface BuildInput {
  /** Target name. */
  name: string;
  /** The Dockerfile's text. */
  dockerfile: string;
  /** Build args the target sets (they override ARG defaults). */
  args: Readonly<Record<string, string>>;
  /** Named contexts: a FROM naming one pulls nothing. */
  contexts: Readonly<Record<string, string>>;
}

export interface BaseImage {
  /** The reference as BuildKit sees it after substitution. */
  image: string;
  /** The build arg the reference came from (`FROM ${GO_IMAGE}`), when it came from one. */
  arg?: string;
  /** Targets that pull it. */
  targets: string[];
}

/** ARGs declared before the first FROM, with their defaults (quotes removed). */
function globalArgs(dockerfile: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const { text } of logicalLines(dockerfile)) {
    if (/^\s*FROM\s/i.test(text)) break;
    const m = /^\s*ARG\s+(.*)$/i.exec(text);
    if (!m) continue;
    for (const decl of m[1]!.trim().split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*(?:=|\s|$))/)) {
      const d = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(decl.trim());
      if (d) out.set(d[1]!, d[2] === undefined ? undefined : unquote(d[2]));
    }
  }
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

/** `$X`, `${X}`, `${X:-default}`, `${X-default}`; undefined when a variable has no value. */
function substitute(word: string, values: ReadonlyMap<string, string | undefined>): { value?: string; arg?: string } {
  let arg: string | undefined;
  let missing = false;
  const value = word.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_all, braced, op, dflt, bare) => {
    const name = (braced ?? bare) as string;
    arg ??= name;
    const v = values.get(name);
    if (v !== undefined && (v !== '' || op !== ':-')) return v;
    if (op) return dflt as string;
    missing = true;
    return '';
  });
  return missing || value.includes('$') ? {} : { value, ...(arg ? { arg } : {}) };
}

/** Every image the targets pull, each once, with the targets that pull it. */
export function baseImages(inputs: readonly BuildInput[]): BaseImage[] {
  const byImage = new Map<string, BaseImage>();
  for (const t of inputs) {
    const values = new Map(globalArgs(t.dockerfile));
    for (const [k, v] of Object.entries(t.args)) if (values.has(k)) values.set(k, v);
    const stageNames = new Set<string>();
    for (const stage of parseStages(t.dockerfile)) {
      const { value, arg } = substitute(stage.base, values);
      const pulls = value && value !== 'scratch' && !stageNames.has(value.toLowerCase()) && !(value in t.contexts);
      if (stage.name) stageNames.add(stage.name);
      if (!pulls) continue;
      const seen = byImage.get(value) ?? { image: value, ...(arg ? { arg } : {}), targets: [] };
      if (!seen.targets.includes(t.name)) seen.targets.push(t.name);
      byImage.set(value, seen);
    }
  }
  return [...byImage.values()];
}

/** The base images of a plan's targets; Dockerfiles from `files` (generated, not yet written) or the disk. */
export function planBaseImages(targets: readonly PlannedTarget[], specDir: string, files: ReadonlyMap<string, string> = new Map()): BaseImage[] {
  const text = (file: string) => files.get(file) ?? readRegularText(path.resolve(specDir, file), { display: file });
  return baseImages(targets.map((t) => ({ name: t.name, dockerfile: text(t.dockerfile), args: t.args, contexts: t.contexts })));
}

export type PullReason = 'unreachable' | 'not-found' | 'denied' | 'other';

/** What a registry's or resolver's error text says, in one word. */
export function pullReason(text: string): PullReason {
  if (/pull access denied|unauthorized|authentication required|denied|403 Forbidden|401 Unauthorized/i.test(text)) return 'denied';
  if (/no such host|dial tcp|i\/o timeout|connection refused|connection reset|TLS handshake timeout|network is unreachable|context deadline exceeded/i.test(text)) return 'unreachable';
  if (/not found|manifest unknown|name unknown/i.test(text)) return 'not-found';
  return 'other';
}

const WHY: Record<PullReason, string> = {
  unreachable: 'its registry cannot be reached from here',
  'not-found': 'the registry has no such image or tag',
  denied: 'the registry refused access (a private image needs `docker login`)',
  other: 'it could not be resolved',
};

/** How to point the build at another image, in the user's terms. */
export function mirrorFix(img: BaseImage): string {
  if (!img.targets.length) return `check the reference; if it came from \`--set\` or the spec's args, point it at an image you can pull (a mirror, or \`docker login\` for a private registry)`;
  if (!img.arg) return `the image is written in the Dockerfile's FROM line: change it there, or make ${img.image} reachable (a mirror, or \`docker login\` for a private registry)`;
  return `point the build at a mirror or a copy you can pull: \`matrix bake --set '*.args.${img.arg}=MIRROR/${img.image.replace(/^docker\.io\/(library\/)?/, '')}'\`, or set ${img.arg} for every service in the spec's \`defaults.args\` (or the template's image parameter in \`with:\`)`;
}

/** Does each image resolve (in the local image store, or in its registry)? Side by side, each within the timeout. */
export async function baseImageChecks(images: readonly BaseImage[], docker: Docker, timeoutMs = 15_000): Promise<Check[]> {
  return Promise.all(
    images.map(async (img): Promise<Check> => {
      const name = `base image ${img.image}`;
      const localArgs = ['image', 'inspect', '--format', '{{.Id}}', img.image];
      const local = await docker.capture(localArgs, { timeoutMs });
      if (local.code === 0) return { name, status: 'ok', detail: 'in the local image store' };
      const remoteArgs = ['buildx', 'imagetools', 'inspect', '--raw', img.image];
      const remote = await docker.capture(remoteArgs, { timeoutMs });
      if (remote.code === 0) return { name, status: 'ok', detail: 'resolves in its registry' };
      // Killed by a signal matrix did not send, or a docker that could not run it (src/adapters/exit.ts): nothing is known of the image.
      const end = dockerEnd(docker, remoteArgs, remote) ?? dockerEnd(docker, localArgs, local);
      if (end) return { name, status: 'fail', detail: end.what, fix: end.hint, ...(end.machine ? { fault: true as const } : {}) };
      const said = lastLine({ stderr: remote.stderr });
      // Its time limit (capture kills it), or a `timeout` wrapper's 124.
      const why = remote.timedOut || remote.code === 124 ? `did not answer within ${timeoutMs / 1000} s` : WHY[pullReason(said)];
      return { name, status: 'fail', detail: `${why}; needed by ${img.targets.join(', ')}${said ? ` (${said.replace(/^ERROR:\s*/, '')})` : ''}`, fix: mirrorFix(img) };
    }),
  );
}

const RESOLVE_MARK = ': failed to resolve source metadata for ';

/**
 * BuildKit's `[failed to solve: ]IMAGE: failed to resolve source metadata for
 * REF: WHY` in one line of bake's output: the FROM reference before the mark
 * (the run of non-space characters that ends there) and WHY after REF.
 * Read with indexOf, not a regular expression: `(\S+): failed to resolve`
 * unanchored backtracks over every start of a long run of non-space
 * characters, and a 1 MB line of build output took matrix bake minutes,
 * deaf to Ctrl-C, before it exited.
 */
export function resolveFailure(text: string): { image: string; why: string } | undefined {
  const line = text.replace(/\r$/, '');
  for (let at = line.indexOf(RESOLVE_MARK); at >= 0; at = line.indexOf(RESOLVE_MARK, at + 1)) {
    let start = at;
    while (start > 0 && !/\s/.test(line[start - 1]!)) start--;
    const refStart = at + RESOLVE_MARK.length;
    let refEnd = refStart;
    while (refEnd < line.length && !/\s/.test(line[refEnd]!)) refEnd++;
    // REF, then `: ` (the colon is REF's last non-space character), then WHY to the end of the line.
    if (start < at && refEnd - 1 > refStart && line[refEnd - 1] === ':' && line[refEnd] === ' ') return { image: line.slice(start, at), why: line.slice(refEnd + 1) };
  }
  return undefined;
}

/** Base images that failed to pull during a build, from bake's output lines. */
export class PullFailures {
  private readonly failed = new Map<string, string>();

  line(text: string): void {
    const m = resolveFailure(text);
    if (m && !this.failed.has(m.image)) this.failed.set(m.image, m.why);
  }

  /** One message per failed image: which, why, and how to point the template at a mirror. */
  explain(images: readonly BaseImage[]): string[] {
    return [...this.failed].map(([image, why]) => {
      const known = images.find((i) => i.image === image) ?? { image, targets: [] };
      const who = known.targets.length ? ` (needed by ${known.targets.join(', ')})` : '';
      return `base image ${image} could not be pulled: ${WHY[pullReason(why)]}${who}.\n  fix: ${mirrorFix(known)}`;
    });
  }

  get any(): boolean {
    return this.failed.size > 0;
  }
}
