// `matrix init`, stage 3: a proposal matrix's own check accepts. The scan
// names services and contexts from what the repository holds; whether `gen`
// may write where the spec would put a file (a generated Dockerfile, the bake
// file) and whether every value passes `validate` is decided by the real
// pipeline, asked here as `check`. What it refuses is settled without a
// second set of rules:
//  - a generated Dockerfile that cannot go to its default place (taken by a
//    file, folder or link that is not matrix's, the twin of another's in all
//    but case, another service's) is given `generated_file` beside it;
//  - the bake file, when docker-bake.hcl is the repository's own, gets
//    `bake_file`;
//  - a registry read from .git/config that makes no image name is left out;
//  - any other refusal of one service leaves that service out, listed with
//    the reason as not proposed.
// A refusal none of these explain is returned: a bug in init, reported as one.
import path from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import type { ProposedService } from './propose.js';
import type { Finding } from './scan.js';

/** What `gen` says about a place it will not write to (output/existing.ts refusal, resolve/generated.ts checkOutputs). */
const PLACE_CODES: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>(['output-collision', 'output-not-a-file', 'not-generated', 'output-outside-repo', 'path-in-git-dir']);

/** Candidates tried for one file before the service is left out instead. */
const MAX_PLACES = 4;

export interface Proposal {
  services: ProposedService[];
  /** Findings left out here (kind `unsupported`, with the reason as note), listed as not proposed. */
  left: Finding[];
  registry?: string;
  bakeFile?: string;
  /** Why `bakeFile` is set. */
  bakeNote?: string;
}

export interface Settled {
  proposal: Proposal;
  /** Errors nothing here explains (empty when the proposal passes). */
  problems: Diagnostic[];
}

/**
 * Checks `first` with `check` and settles what it refuses, until it passes or
 * a refusal is left that nothing here explains. `taken(rel)`: whether a path
 * relative to the spec exists (a candidate place that does is not tried).
 * `registryIsOurs`: the registry was read from the repository, not given.
 */
export function settleProposal(first: Proposal, check: (p: Proposal) => Diagnostic[], taken: (rel: string) => boolean, registryIsOurs: boolean): Settled {
  let proposal = first;
  const tried = new Map<string, Set<string>>();
  // Each round places or leaves out at least one service or the bake file: bounded.
  for (let round = 0; round < 2 * first.services.length * (MAX_PLACES + 1) + 4; round++) {
    const problems = check(proposal).filter((d) => d.severity === 'error');
    if (!problems.length) return { proposal, problems };
    const next = settleOnce(proposal, problems, tried, taken, registryIsOurs);
    if (!next) return { proposal, problems };
    proposal = next;
  }
  return { proposal, problems: check(proposal).filter((d) => d.severity === 'error') };
}

/** The service a diagnostic's key path is under (`services.NAME...`), if it is one of the proposal's. */
function serviceAt(p: Proposal, d: Diagnostic): ProposedService | undefined {
  const name = /^services\.([a-z0-9][a-z0-9_-]*)(?:[.[]|$)/.exec(d.path)?.[1];
  return name === undefined ? undefined : p.services.find((s) => s.name === name);
}

/** One round: every refusal that can be settled is; undefined when none can. */
function settleOnce(p: Proposal, problems: readonly Diagnostic[], tried: Map<string, Set<string>>, taken: (rel: string) => boolean, registryIsOurs: boolean): Proposal | undefined {
  let services = [...p.services];
  const left = [...p.left];
  let { registry, bakeFile, bakeNote } = p;
  let changed = false;
  const done = new Set<string>();
  for (const d of problems) {
    const svc = serviceAt(p, d);
    if (svc) {
      if (done.has(svc.name)) continue;
      done.add(svc.name);
      const place = PLACE_CODES.has(d.code) && svc.finding.kind !== 'dockerfile' ? nextPlace(svc, tried, taken) : undefined;
      services = services.flatMap((s): ProposedService[] => {
        if (s !== svc) return [s];
        if (place) return [{ ...s, generatedFile: place, placeNote: `generated at ${place}: ${d.message}` }];
        left.push(leftOut(s.finding, d));
        return [];
      });
      changed = true;
    } else if (PLACE_CODES.has(d.code) && (d.path === '' || d.path === 'bake_file')) {
      const file = nextBakeFile(tried, taken);
      if (!file) continue;
      bakeNote ??= d.message;
      bakeFile = file;
      changed = true;
    } else if (registryIsOurs && registry !== undefined && (d.path === 'registry' || d.path.startsWith('registry.'))) {
      registry = undefined;
      changed = true;
    }
  }
  if (!changed) return undefined;
  return { services, left, ...(registry !== undefined ? { registry } : {}), ...(bakeFile !== undefined ? { bakeFile, ...(bakeNote ? { bakeNote } : {}) } : {}) };
}

/** `SERVICE.Dockerfile` in the service's context, then `SERVICE-2.Dockerfile`...: one not on disk, not tried for it yet. */
function nextPlace(s: ProposedService, tried: Map<string, Set<string>>, taken: (rel: string) => boolean): string | undefined {
  const seen = tried.get(s.name) ?? new Set<string>();
  tried.set(s.name, seen);
  const dir = s.finding.context ?? s.finding.dir;
  for (let i = 1; seen.size < MAX_PLACES && i < 100; i++) {
    const file = path.posix.join(dir, `${i === 1 ? s.name : `${s.name}-${i}`}.Dockerfile`);
    if (seen.has(file) || taken(file)) continue;
    seen.add(file);
    return file;
  }
  return undefined;
}

/** docker-bake.matrix.hcl, then docker-bake.matrix-2.hcl...: one not on disk, not tried yet (kept under the name '', which no service has). */
function nextBakeFile(tried: Map<string, Set<string>>, taken: (rel: string) => boolean): string | undefined {
  const seen = tried.get('') ?? new Set<string>();
  tried.set('', seen);
  for (let i = 1; i < 100 && seen.size < MAX_PLACES; i++) {
    const file = i === 1 ? 'docker-bake.matrix.hcl' : `docker-bake.matrix-${i}.hcl`;
    if (seen.has(file) || taken(file)) continue;
    seen.add(file);
    return file;
  }
  return undefined;
}

/** A service left out, listed as not proposed with what `validate` said. */
function leftOut(f: Finding, d: Diagnostic): Finding {
  return { dir: f.dir, kind: 'unsupported', nameHint: f.nameHint, reason: f.reason, note: `matrix validate refuses what init would propose for it: ${d.message}` };
}
