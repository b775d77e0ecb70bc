// One buildx builder with a BuildKit node per platform, from the spec's
// `builders:`: each platform then builds natively on its own machine, and one
// `docker buildx bake` still produces one multi-platform image. The commands
// are computed here as argument arrays; the CLI runs or prints them.
import { userError, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import { specDiagnostic } from '../load/load.js';
import { platformSlug, specPlatformProblem } from '../platforms.js';
import type { BuildersInput } from '../spec.js';
import type { CheckedSpec } from '../validate/schema.js';

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

/** Where a `builders` path is in the spec, for located errors (the CLI passes the loaded spec's positions). */
export type Locate = (at: (string | number)[]) => { file: string; line: number; column: number };

/**
 * Endpoint schemes buildx drivers take (docker/buildx driver/remote: tcp, unix,
 * npipe, docker-container, kube-pod; docker endpoints: unix, tcp, ssh, npipe).
 * Anything else must be a docker context name (docker/cli: ^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$).
 */
const ENDPOINT_SCHEMES = ['tcp', 'unix', 'npipe', 'ssh', 'docker-container', 'kube-pod'];
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

/** What is wrong with an endpoint given as one argument of `docker buildx create`, if anything. */
export function endpointProblem(endpoint: string): string | undefined {
  if (endpoint.startsWith('-')) return 'starts with `-`, so `docker buildx create` would read it as an option';
  if (/[\s\u0000-\u001f\u007f,"']/.test(endpoint)) return 'contains white space, a control character, a comma or a quote';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(endpoint);
  if (!scheme) return CONTEXT_NAME.test(endpoint) ? undefined : 'is neither SCHEME://ADDRESS nor a docker context name';
  if (!ENDPOINT_SCHEMES.includes(scheme[1]!.toLowerCase())) return `has the scheme \`${scheme[1]}\`; buildx takes ${ENDPOINT_SCHEMES.map((s) => `${s}://`).join(', ')} or a docker context name`;
  if (!scheme[2]) return 'has no address after the scheme';
  return undefined;
}

/**
 * What is wrong with one driver option. buildx reads every `--driver-opt` as a
 * CSV record of key=value fields (docker/buildx commands/create.go, csvToMap):
 * a comma or quote would add options the spec did not name.
 */
export function driverOptProblem(key: string, value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(key)) return `key \`${key}\` is not an option name (letters, digits, \`_\`, \`.\`, \`-\`)`;
  if (/[,"'\u0000-\u001f\u007f]/.test(value)) return `value of \`${key}\` contains a comma, a quote or a control character, which would split it into more options`;
  if (value.startsWith('-')) return `value of \`${key}\` starts with \`-\``;
  return undefined;
}

/** Endpoint and driver option problems as located diagnostics: `validate` and `gen` report them too. */
export function builderDiagnostics(loaded: CheckedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const nodes = loaded.value.builders?.nodes;
  if (!Array.isArray(nodes)) return out;
  const add = (code: DiagnosticCode, at: (string | number)[], message: string, hint: string) => out.push(specDiagnostic(loaded, code, at, message, hint));
  nodes.forEach((n, i) => {
    // The same check as the spec's own platforms (src/platforms.ts specPlatformProblem): one canonical spelling per platform.
    (Array.isArray(n.platforms) ? n.platforms : []).forEach((p, j) => {
      const problem = typeof p === 'string' ? specPlatformProblem(p) : undefined;
      if (problem) add('unknown-platform', ['builders', 'nodes', i, 'platforms', j], `builder node platform: ${problem.message}`, problem.hint);
    });
    if (typeof n.endpoint === 'string') {
      const p = endpointProblem(n.endpoint);
      if (p) add('invalid-endpoint', ['builders', 'nodes', i, 'endpoint'], `endpoint \`${n.endpoint}\` ${p}`, ENDPOINT_HINT);
    }
    for (const [k, v] of Object.entries(n.driver_opts ?? {})) {
      const p = driverOptProblem(k, String(v));
      if (p) add('invalid-driver-opt', ['builders', 'nodes', i, 'driver_opts', k], `driver option ${p}`, DRIVER_OPT_HINT);
    }
  });
  return out;
}

const ENDPOINT_HINT = 'e.g. `tcp://buildkit-arm64:1234`, `ssh://ci@arm64-runner` or a docker context name';
const DRIVER_OPT_HINT = 'give each option as its own key: value pair; buildx reads `--driver-opt` as comma-separated key=value fields';

/** Defaults applied, and the combinations buildx would refuse turned into errors with a fix. */
export function resolveBuilder(input: BuildersInput | undefined, nameOverride?: string, locate?: Locate): Builder {
  if (!input || !Array.isArray(input.nodes) || !input.nodes.length) {
    throw userError('no-builders', 'the spec has no `builders:` section', {
      // One line: a hint's line breaks print as \u000a (diagnostics.ts visible).
      hint: 'add one (see docs/multi-node.md), e.g. `builders: {nodes: [{platforms: [linux/amd64], endpoint: "tcp://buildkit-amd64:1234"}, {platforms: [linux/arm64], endpoint: "tcp://buildkit-arm64:1234"}]}`',
    });
  }
  const name = nameOverride ?? input.name ?? DEFAULT_BUILDER;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw userError('invalid-builder-name', `builder name \`${name}\` is not valid`, { hint: 'letters, digits, `_`, `.` and `-`' });
  const drivers = new Set(input.nodes.map((n) => n.driver ?? defaultDriver(n.endpoint)));
  if (drivers.size > 1) {
    throw userError('builder-driver-mismatch', `the nodes of one builder must share a driver, and these use ${[...drivers].join(' and ')}`, {
      path: 'builders.nodes',
      hint: "buildx appends a node only with the builder's own driver: give every node the same `driver` (or make two specs with their own builder)",
    });
  }
  const driver = [...drivers][0]!;
  const seen = new Set<string>();
  const nodes = input.nodes.map((n, i): BuilderNode => {
    const nodeName = n.name ?? `${name}-${n.platforms.map(platformSlug).join('_')}`;
    if (seen.has(nodeName)) throw userError('duplicate-node', `two nodes are named \`${nodeName}\``, { path: `builders.nodes[${i}]`, hint: 'give the nodes distinct `name`s' });
    seen.add(nodeName);
    n.platforms.forEach((p, j) => {
      const problem = specPlatformProblem(p);
      if (!problem) return;
      throw userError('unknown-platform', `builder node platform: ${problem.message}`, {
        path: `builders.nodes[${i}].platforms[${j}]`,
        ...locate?.(['builders', 'nodes', i, 'platforms', j]),
        hint: problem.hint,
      });
    });
    if (n.endpoint !== undefined) {
      const p = endpointProblem(n.endpoint);
      if (p)
        throw userError('invalid-endpoint', `endpoint \`${n.endpoint}\` of node \`${nodeName}\` ${p}`, {
          path: `builders.nodes[${i}].endpoint`,
          ...locate?.(['builders', 'nodes', i, 'endpoint']),
          hint: ENDPOINT_HINT,
        });
    }
    for (const [k, v] of Object.entries(n.driver_opts ?? {})) {
      const p = driverOptProblem(k, String(v));
      if (p)
        throw userError('invalid-driver-opt', `driver option ${p}`, { path: `builders.nodes[${i}].driver_opts.${k}`, ...locate?.(['builders', 'nodes', i, 'driver_opts', k]), hint: DRIVER_OPT_HINT });
    }
    if (driver === 'remote' && !n.endpoint) {
      throw userError('node-endpoint-missing', `node \`${nodeName}\` uses the remote driver and has no endpoint`, {
        path: `builders.nodes[${i}]`,
        hint: 'set `endpoint: tcp://HOST:1234` (the address of its buildkitd)',
      });
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
  return ['--node', n.name, '--platform', n.platforms.join(','), ...n.driverOpts.flatMap(([k, v]) => ['--driver-opt', `${k}=${v}`]), ...(n.endpoint ? [n.endpoint] : [])];
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
