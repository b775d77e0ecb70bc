// The Compose file's services over what the folder scan found: a service
// Compose builds keeps Compose's name, image (as its tag), build args and
// target, and its Dockerfile when Compose names one; its ports and depends_on
// are shown (Compose's depends_on orders containers at run time, it is not a
// build dependency, so it never becomes matrix's `depends_on`). Every value is
// checked before it is proposed: what the spec would refuse is left out with a
// note, never passed on.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseStages } from '../dockerfile/stages.js';
import { isInside, realpathOrUndefined } from '../paths.js';
import { isGenerated } from '../render/header.js';
import { referenceProblem } from '../validate/reference.js';
import { stringProblem } from '../validate/strings.js';
import { COMPOSE_FILES, parseCompose, type ComposeService } from './compose.js';
import { copySources, dockerfileContext } from './dockerfile-context.js';
import type { Finding } from './scan.js';

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The first Compose file at the root (Compose's order), with its text. */
export function composeAt(root: string, read: (file: string) => string | undefined): { file: string; services: ComposeService[] } | undefined {
  for (const file of COMPOSE_FILES) {
    const text = read(path.join(root, file));
    const services = text === undefined ? undefined : parseCompose(text);
    if (services) return { file, services };
  }
  return undefined;
}

/**
 * The findings with Compose's services applied; a Compose service matrix
 * cannot build is an `unsupported` finding saying why. `read` reads a file
 * under root (undefined when it cannot).
 */
export function applyCompose(root: string, file: string, services: readonly ComposeService[], findings: readonly Finding[], read: (file: string) => string | undefined): Finding[] {
  let out = [...findings];
  const added: Finding[] = [];
  for (const cs of services) {
    const placed = placeService(root, cs, out, read);
    if ('skip' in placed) {
      added.push({ dir: cs.context ?? '.', kind: 'unsupported', nameHint: cs.name, reason: `${file} service ${cs.name}`, note: placed.skip });
      continue;
    }
    const base = placed.finding;
    // The scan's finding for the same thing is replaced (or, with several Compose services on it, shared).
    out = out.filter((f) => !(f.kind === 'dockerfile' ? f.dockerfile === base.dockerfile : f.dir === base.dir));
    const stages = base.kind === 'dockerfile' ? parseStages(read(path.join(root, base.dockerfile!)) ?? '').flatMap((st) => st.name ?? []) : [];
    added.push(composeFinding(file, cs, base, stages));
  }
  return [...added, ...out];
}

/** Where a Compose service's build is in the repository: its Dockerfile, or what the scan found in its context. */
function placeService(root: string, cs: ComposeService, findings: readonly Finding[], read: (f: string) => string | undefined): { finding: Finding } | { skip: string } {
  if (cs.context === undefined) return { skip: 'builds from a remote context; matrix builds from the repository' };
  if (cs.inlineDockerfile) return { skip: 'has an inline Dockerfile (dockerfile_inline); write it to a file to build it with matrix' };
  const dir = cs.context;
  if (path.posix.isAbsolute(dir) || dir === '..' || dir.startsWith('../')) return { skip: `its context ${dir} is outside the repository` };
  if (!isDir(path.join(root, dir))) return { skip: `its context ${dir} does not exist` };
  if (!insideReal(root, dir)) return { skip: `its context ${dir} leads outside the repository through a symbolic link` };
  const df = cs.dockerfile;
  if (df !== undefined && (path.posix.isAbsolute(df) || /^[A-Za-z]:[\\/]/.test(df))) return { skip: `its dockerfile ${df} is an absolute path` };
  const dockerfile = path.posix.normalize(path.posix.join(dir, df ?? 'Dockerfile'));
  if (dockerfile.startsWith('../')) return { skip: `its dockerfile ${df} is outside the repository` };
  const text = isFile(path.join(root, dockerfile)) && insideReal(root, dockerfile) ? read(path.join(root, dockerfile)) : undefined;
  if (text !== undefined && !isGenerated(text)) {
    // The context is Compose's, wherever the Dockerfile is (`context: .` with `dockerfile: docker/Dockerfile`).
    const scanned = findings.find((f) => f.dockerfile === dockerfile);
    if (!scanned) return { finding: { dir, kind: 'dockerfile', dockerfile, nameHint: cs.name, reason: path.posix.basename(dockerfile) } };
    const { context: _, note: __, ...rest } = scanned;
    const where = dockerfileContext(root, dir, text);
    const missing = where.missing ?? (where.context !== undefined ? copySources(text).filter((s) => !existsSync(path.join(root, dir, s))) : []);
    const note = missing.length ? `it copies ${missing.join(', ')}, not in its context ${dir}` : undefined;
    return { finding: { ...rest, dir, reason: `${path.posix.basename(dockerfile)}, kept as it is`, ...(note ? { note } : {}) } };
  }
  if (df !== undefined) return { skip: `its dockerfile ${dockerfile} was not found` };
  const scanned = findings.find((f) => f.dir === dir && f.kind !== 'dockerfile' && f.kind !== 'unsupported');
  return scanned ? { finding: scanned } : { skip: `found nothing to build in ${dir} (no Dockerfile, no known project file)` };
}

/** `stages`: the stage names of its Dockerfile (a `target` must be one of them). */
function composeFinding(file: string, cs: ComposeService, base: Finding, stages: readonly string[]): Finding {
  const dropped: string[] = [];
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(cs.args)) {
    // The spec would refuse these (a name bake cannot pass, a control character, `${{` read as a matrix variable).
    if (!ARG_NAME.test(k) || stringProblem(k, false) || stringProblem(v, true) || v.includes('${{')) dropped.push(`arg ${JSON.stringify(k)}`);
    else args[k] = v;
  }
  const image = cs.image !== undefined && !referenceProblem(cs.image) ? cs.image : undefined;
  if (cs.image !== undefined && !image) dropped.push(`image ${JSON.stringify(cs.image)} (not an image reference: Compose variables are not expanded here)`);
  // BuildKit matches stage names without regard to case.
  const target = cs.target !== undefined && STAGE.test(cs.target) && stages.includes(cs.target.toLowerCase()) ? cs.target : undefined;
  if (cs.target !== undefined && !target) {
    dropped.push(`target ${JSON.stringify(cs.target)} (${base.kind === 'dockerfile' ? 'not a stage of its Dockerfile' : 'a template has its own stages'})`);
  }
  const details = [...(base.details ?? [])];
  if (cs.ports.length) details.push(`ports ${cs.ports.map((p) => JSON.stringify(p)).join(', ')} (${file})`);
  if (cs.dependsOn.length) details.push(`depends_on ${cs.dependsOn.join(', ')} in ${file}: run-time order, not a build dependency`);
  if (cs.profiles?.length) details.push(`profiles ${cs.profiles.join(', ')} (${file}): Compose builds it only when its profile is enabled; \`matrix bake\` builds it with every other service`);
  if (cs.envArgs.length) details.push(`args ${cs.envArgs.join(', ')} come from the environment in Compose: set them under \`args\``);
  const notes = [...(base.note ? [base.note] : []), ...(dropped.length ? [`left out from ${file}: ${dropped.join('; ')}`] : [])];
  return {
    ...base,
    nameHint: cs.name,
    reason: `${file} service ${cs.name}; ${base.reason}`,
    ...(image ? { tags: [image] } : {}),
    ...(Object.keys(args).length ? { args } : {}),
    ...(target ? { target } : {}),
    ...(details.length ? { details } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

function insideReal(root: string, rel: string): boolean {
  const realRoot = realpathOrUndefined(root);
  const real = realpathOrUndefined(path.join(root, rel));
  return realRoot !== undefined && real !== undefined && isInside(realRoot, real);
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}
