// One buildx builder with a BuildKit node per platform, from the spec's
// `builders:`: each platform then builds natively on its own machine, and one
// `docker buildx bake` still produces one multi-platform image. The commands
// are computed here as argument arrays; the CLI runs or prints them.
import { userError } from '../diagnostics.js';
import { platformSlug } from '../platforms.js';
import type { BuildersInput } from '../spec.js';

export const DEFAULT_BUILDER = 'matrix';

export interface BuilderNode {
  name: string;
  platforms: string[];
  endpoint?: string;
  driverOpts: [string, string][];
}

export interface Builder {
  name: string;
  driver: 'remote' | 'docker-container' | 'kubernetes';
  nodes: BuilderNode[];
}

/** Defaults applied, and the combinations buildx would refuse turned into errors with a fix. */
export function resolveBuilder(input: BuildersInput | undefined, nameOverride?: string): Builder {
  if (!input || !Array.isArray(input.nodes) || !input.nodes.length) {
    throw userError('no-builders', 'the spec has no `builders:` section', {
      hint: 'add one, e.g.\n  builders:\n    nodes:\n      - { platforms: [linux/amd64], endpoint: "tcp://buildkit-amd64:1234" }\n      - { platforms: [linux/arm64], endpoint: "tcp://buildkit-arm64:1234" }\n(see docs/multi-node.md)',
    });
  }
  const name = nameOverride ?? input.name ?? DEFAULT_BUILDER;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw userError('invalid-builder-name', `builder name \`${name}\` is not valid`, { hint: 'letters, digits, `_`, `.` and `-`' });
  const drivers = new Set(input.nodes.map((n) => n.driver ?? defaultDriver(n.endpoint)));
  if (drivers.size > 1) {
    throw userError('builder-driver-mismatch', `the nodes of one builder must share a driver, and these use ${[...drivers].join(' and ')}`, {
      path: 'builders.nodes', hint: 'buildx appends a node only with the builder\'s own driver: give every node the same `driver` (or make two specs with their own builder)',
    });
  }
  const driver = [...drivers][0]!;
  const seen = new Set<string>();
  const nodes = input.nodes.map((n, i): BuilderNode => {
    const nodeName = n.name ?? `${name}-${n.platforms.map(platformSlug).join('_')}`;
    if (seen.has(nodeName)) throw userError('duplicate-node', `two nodes are named \`${nodeName}\``, { path: `builders.nodes[${i}]`, hint: 'give the nodes distinct `name`s' });
    seen.add(nodeName);
    if (driver === 'remote' && !n.endpoint) {
      throw userError('node-endpoint-missing', `node \`${nodeName}\` uses the remote driver and has no endpoint`, { path: `builders.nodes[${i}]`, hint: 'set `endpoint: tcp://HOST:1234` (the address of its buildkitd)' });
    }
    return { name: nodeName, platforms: [...n.platforms], ...(n.endpoint ? { endpoint: n.endpoint } : {}), driverOpts: Object.entries(n.driver_opts ?? {}) };
  });
  return { name, driver, nodes };
}

/** tcp:// and unix:// are buildkitd addresses (remote); anything else is a docker endpoint or context. */
function defaultDriver(endpoint: string | undefined): Builder['driver'] {
  return endpoint && /^(tcp|unix|npipe):\/\//.test(endpoint) ? 'remote' : 'docker-container';
}

export interface ExistingBuilder {
  driver: string;
  nodes: string[];
}

/** Node names listed by `docker buildx inspect NAME` (the names after the `Nodes:` line). */
export function parseNodeNames(inspectOut: string): string[] {
  const at = inspectOut.search(/^Nodes:\s*$/m);
  if (at < 0) return [];
  return [...inspectOut.slice(at).matchAll(/^Name:\s+(\S+)/gm)].map((m) => m[1]!);
}

function nodeFlags(n: BuilderNode): string[] {
  return [
    '--node', n.name,
    '--platform', n.platforms.join(','),
    ...n.driverOpts.flatMap(([k, v]) => ['--driver-opt', `${k}=${v}`]),
    ...(n.endpoint ? [n.endpoint] : []),
  ];
}

/**
 * `docker buildx ...` argument arrays that make the builder match `b`.
 * `existing`: the builder of that name already there, as `docker buildx
 * inspect` shows it (undefined when there is none). A new builder is created with the first
 * node and the others appended; an existing one has every node appended
 * (buildx updates a node of the same name) and the nodes no longer in the
 * spec removed.
 */
export function builderUpCommands(b: Builder, existing: ExistingBuilder | undefined, opts: { use?: boolean } = {}): string[][] {
  const cmds: string[][] = [];
  const [first, ...rest] = b.nodes;
  if (existing && existing.driver !== b.driver) {
    throw userError('builder-driver-changed', `builder \`${b.name}\` exists with driver ${existing.driver}, and the spec asks for ${b.driver}`, {
      hint: `a builder keeps its driver: remove it first (\`matrix builder rm\`), then \`matrix builder up\``,
    });
  }
  if (existing === undefined) {
    cmds.push(['buildx', 'create', '--name', b.name, '--driver', b.driver, ...nodeFlags(first!)]);
    for (const n of rest) cmds.push(['buildx', 'create', '--append', '--name', b.name, ...nodeFlags(n)]);
  } else {
    for (const n of b.nodes) cmds.push(['buildx', 'create', '--append', '--name', b.name, ...nodeFlags(n)]);
    const wanted = new Set(b.nodes.map((n) => n.name));
    for (const old of existing.nodes) if (!wanted.has(old)) cmds.push(['buildx', 'create', '--name', b.name, '--leave', '--node', old]);
  }
  if (opts.use) cmds.push(['buildx', 'use', b.name]);
  return cmds;
}

export function builderRmCommands(name: string): string[][] {
  return [['buildx', 'rm', name]];
}
