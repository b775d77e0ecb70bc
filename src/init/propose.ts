// `matrix init`, stage 2: findings -> a starter matrix.yaml. Pure.
import { redactRemote } from '../bake/remote.js';
import { Document, isMap, type YAMLMap } from 'yaml';
import type { Finding } from './scan.js';

export const DEFAULT_PLATFORMS = ['linux/amd64', 'linux/arm64'];
const RESERVED = new Set(['default', 'docker-metadata-action']);

/**
 * A service name (`^[a-z0-9][a-z0-9_-]*$`) that also makes a valid image name
 * (`REGISTRY/NAME:latest`): lower case, runs of other characters become one
 * `-`, no `-` at either end.
 */
export function serviceName(raw: string): string {
  // Letters with accents keep their base letter (`café` -> `cafe`).
  let s = raw
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  if (!s) s = 'app';
  if (RESERVED.has(s)) s = `${s}-service`;
  return s;
}

export interface ProposedService {
  name: string;
  finding: Finding;
  /** `generated_file`, when the generated Dockerfile cannot go to its default place (settle.ts); `placeNote` says why. */
  generatedFile?: string;
  placeNote?: string;
}

/** Names from directory names, made unique with -2, -3 ... in scan order. */
export function nameServices(findings: readonly Finding[]): ProposedService[] {
  const used = new Set<string>();
  return findings.map((finding) => {
    const base = serviceName(finding.nameHint);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return { name, finding };
  });
}

export interface ProposeOptions {
  /** `$schema` path, relative to the spec. */
  schemaRef: string;
  registry?: string;
  platforms?: readonly string[];
  /** `bake_file`, when docker-bake.hcl cannot be matrix's (settle.ts); `bakeNote` says why. */
  bakeFile?: string;
  bakeNote?: string;
}

/** `services` as named by nameServices; `all` the findings, for the list of what is not proposed. */
export function proposeSpec(services: readonly ProposedService[], opts: ProposeOptions, all: readonly Finding[] = []): string {
  const doc = new Document({}) as Document.Parsed;
  const root = doc.contents as unknown as YAMLMap;
  root.set('version', 1);
  if (opts.registry) root.set('registry', opts.registry);
  const platforms = doc.createNode([...(opts.platforms ?? DEFAULT_PLATFORMS)]);
  platforms.flow = true;
  root.set('platforms', platforms);
  if (opts.bakeFile) {
    const pair = doc.createPair('bake_file', opts.bakeFile);
    root.add(pair);
    (pair.key as { commentBefore?: string }).commentBefore = ` ${commentText(`not docker-bake.hcl: ${opts.bakeNote ?? 'it is taken'}`)}`;
  }
  const svcMap = doc.createNode({}) as YAMLMap;
  const names = services.map((s) => s.name);
  const usedTags = new Set<string>();
  for (const { name, finding: f, generatedFile, placeNote } of services) {
    const { body, note } = serviceBody(name, f, names, usedTags);
    if (generatedFile !== undefined) body.generated_file = generatedFile;
    const node = doc.createNode(body) as YAMLMap;
    for (const key of ['depends_on', 'tags']) flow(node.get(key, true));
    flow(isMap(node.get('with')) ? (node.get('with') as YAMLMap).get('cmd', true) : undefined);
    svcMap.add(doc.createPair(name, node));
    const pair = svcMap.items[svcMap.items.length - 1]!;
    (pair.key as { commentBefore?: string }).commentBefore = whyComment(f, note, placeNote);
  }
  root.set('services', svcMap);
  const left = notProposed(all);
  if (left.length) doc.comment = left.map((l) => ` ${l}`).join('\n');

  const header = [
    `# yaml-language-server: $schema=${opts.schemaRef}`,
    '# Written by `matrix init` from what it found in this repository. Check it,',
    '# then run `matrix gen` and commit this file with the generated files.',
    ...(opts.registry ? [] : ['# Images are named SERVICE:latest; set `registry:` (e.g. ghcr.io/OWNER) to push them.']),
  ];
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}

/** A flow sequence reads better for short lists. */
function flow(node: unknown): void {
  if (node && typeof node === 'object') (node as { flow?: boolean }).flow = true;
}

/** The spec entry of one service; `note` when a Compose image was left out (another service already has that tag). */
function serviceBody(name: string, f: Finding, names: readonly string[], usedTags: Set<string>): { body: Record<string, unknown>; note?: string } {
  const body: Record<string, unknown> = { context: f.context ?? f.dir };
  if (f.kind === 'dockerfile') {
    body.dockerfile = f.dockerfile;
    // `FROM base` where base is another service: bake must build it first.
    const deps = names.filter((n) => n !== name && f.from?.includes(n));
    if (deps.length) body.depends_on = deps;
    if (f.target) body.target = f.target;
  } else {
    body.template = f.kind;
    if (f.with && Object.keys(f.with).length) body.with = f.with;
  }
  let note: string | undefined;
  const tags = (f.tags ?? []).filter((t) => !usedTags.has(t));
  if (tags.length < (f.tags ?? []).length) note = `another service already builds ${f.tags!.filter((t) => !tags.includes(t)).join(', ')}: give this one its own tag`;
  for (const t of tags) usedTags.add(t);
  if (tags.length) body.tags = tags;
  if (f.args) body.args = f.args;
  return { body, ...(note ? { note } : {}) };
}

/** Text read from the repository, made safe for one comment line: no line breaks or other control and bidi characters. */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ');
}

/** The comment above a service: where it is, why this template or Dockerfile, what else was read, what to check. */
function whyComment(f: Finding, extraNote?: string, placeNote?: string): string {
  const where = f.dir === '.' ? 'the repository root' : f.dir;
  const notes = [f.note, extraNote].filter(Boolean).join('; ');
  const lines = [`${where}: ${f.reason}`, ...(f.details ?? []), ...(placeNote ? [placeNote] : []), ...(notes ? [`TODO: ${notes}`] : [])];
  return lines.map((l) => ` ${commentText(l)}`).join('\n');
}

/** What was found but is not proposed (no template for it, a Compose service matrix cannot build). */
export function notProposed(all: readonly Finding[]): string[] {
  return all.filter((f) => f.kind === 'unsupported').map((f) => commentText(`not proposed: ${f.dir === '.' ? '.' : f.dir}: ${f.reason}: ${f.note ?? ''}`));
}

/** `ghcr.io/OWNER` for a GitHub `origin` remote in .git/config, else undefined. */
/**
 * Why `value` cannot prefix an image name, or undefined when it can: a domain
 * (with an optional port) and/or path components, as the reference grammar of
 * distribution/reference (reference.go) allows, in lower case, so that
 * `REGISTRY/SERVICE:latest` is a valid tag.
 */
export function registryProblem(value: string): { problem: string; suggestion?: string } | undefined {
  const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
  const domain = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]+)?$/;
  const tidy = value
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const suggest = (problem: string) => ({ problem, ...(tidy && tidy !== value && registryProblem(tidy) === undefined ? { suggestion: tidy } : {}) });
  if (value.trim() === '') return { problem: 'is empty' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return suggest('is a URL; give the registry host and path without a scheme');
  if (value.endsWith('/')) return suggest('ends with `/`');
  if (/[A-Z]/.test(value)) return suggest('has upper-case letters; image names are lower case');
  if (value.includes('@')) return suggest('has a digest; give only the name prefix');
  const parts = value.split('/');
  const first = parts[0]!;
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  if (hasDomain && !domain.test(first)) return suggest(/:[^0-9]/.test(first) ? 'has a tag; give only the name prefix' : `has an invalid registry host \`${first}\``);
  const path = parts.slice(hasDomain ? 1 : 0);
  if (path.some((p) => p.includes(':'))) return suggest('has a tag; give only the name prefix');
  const bad = path.find((p) => !component.test(p));
  if (bad !== undefined) return suggest(`has an invalid path component \`${bad}\` (lower-case letters and digits, with single . _ __ or - between them)`);
  if (value.length > 200) return { problem: 'is too long for an image name prefix' };
  return undefined;
}

export function registryFromGitConfig(config: string): string | undefined {
  const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1] ?? '';
  const raw = /^\s*url\s*=\s*(\S+)/m.exec(section)?.[1];
  if (!raw) return undefined;
  // Credentials removed first: a user name like `github.com` must not pass for the host.
  const url = redactRemote(raw);
  const owner = /github\.com[:/]([A-Za-z0-9-]+)\//.exec(url)?.[1];
  const registry = owner ? `ghcr.io/${owner.toLowerCase()}` : undefined;
  // An owner no GitHub account has (`-`, `-a`, `a-`: a hand-edited config) makes no image name: none proposed.
  return registry !== undefined && registryProblem(registry) === undefined ? registry : undefined;
}
