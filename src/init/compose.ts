// `matrix init` reads a Compose file for what it already says about the
// services it builds, following the Compose Specification
// (https://github.com/compose-spec/compose-spec/blob/main/05-services.md and
// build.md): `build` is a context path or a map with `context` (default `.`,
// relative to the Compose file's folder), `dockerfile` (relative to the
// context), `args` (a map, or a list of `KEY=VALUE` / `KEY` to take from the
// environment), `target`; `image` names the image built; `ports` and
// `depends_on` (a list or a map) describe how it runs. Pure: text in, data out;
// nothing found here is trusted (scan.ts and the pipeline check every value).
import path from 'node:path';
import { parseDocument } from 'yaml';

/** The file names `docker compose` looks for, in its order of preference. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export interface ComposeService {
  /** The Compose service name, as written. */
  name: string;
  /** Build context, relative to the Compose file's folder, POSIX; undefined for a remote context (a URL). */
  context?: string;
  /** As written (relative to the context). */
  dockerfile?: string;
  inlineDockerfile: boolean;
  args: Record<string, string>;
  /** Args given without a value (`- KEY`): Compose takes them from the environment. */
  envArgs: string[];
  target?: string;
  image?: string;
  ports: string[];
  dependsOn: string[];
  /** `profiles`: Compose starts (and builds) it only when one is enabled (05-services.md#profiles). */
  profiles?: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/** The services a Compose file builds (those with `build`); undefined when the text is not a Compose file. */
export function parseCompose(text: string): ComposeService[] | undefined {
  let value: unknown;
  try {
    const doc = parseDocument(text);
    if (doc.errors.length) return undefined;
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.services)) return undefined;
  const out: ComposeService[] = [];
  for (const [name, raw] of Object.entries(value.services)) {
    if (!isRecord(raw) || raw.build === undefined) continue;
    const svc = composeService(name, raw);
    if (svc) out.push(svc);
  }
  return out;
}

function composeService(name: string, raw: Record<string, unknown>): ComposeService | undefined {
  const build = typeof raw.build === 'string' ? { context: raw.build } : isRecord(raw.build) ? raw.build : undefined;
  if (!build) return undefined;
  const ctx = scalar(build.context) ?? '.';
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || /^git@/.test(ctx);
  const { args, envArgs } = composeArgs(build.args);
  const image = scalar(raw.image);
  const target = scalar(build.target);
  const dockerfile = scalar(build.dockerfile);
  return {
    name,
    ...(remote ? {} : { context: path.posix.normalize(ctx.replace(/\\/g, '/')).replace(/\/+$/, '') || '.' }),
    ...(dockerfile !== undefined ? { dockerfile } : {}),
    inlineDockerfile: build.dockerfile_inline !== undefined,
    args,
    envArgs,
    ...(target !== undefined ? { target } : {}),
    ...(image !== undefined ? { image } : {}),
    ports: Array.isArray(raw.ports) ? raw.ports.flatMap((p) => scalar(p) ?? (isRecord(p) ? (scalar(p.target) ?? []) : [])) : [],
    dependsOn: Array.isArray(raw.depends_on) ? raw.depends_on.flatMap((d) => scalar(d) ?? []) : isRecord(raw.depends_on) ? Object.keys(raw.depends_on) : [],
    ...(Array.isArray(raw.profiles) && raw.profiles.length ? { profiles: raw.profiles.flatMap((p) => scalar(p) ?? []) } : {}),
  };
}

/** `args:` as a map, or a list of `KEY=VALUE` (a bare `KEY` is read from the environment by Compose). */
function composeArgs(raw: unknown): { args: Record<string, string>; envArgs: string[] } {
  const entries: [string, string][] = [];
  const envArgs: string[] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = scalar(item);
      if (s === undefined) continue;
      const eq = s.indexOf('=');
      if (eq < 0) envArgs.push(s);
      else entries.push([s.slice(0, eq), s.slice(eq + 1)]);
    }
  } else if (isRecord(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      const s = scalar(v);
      if (s === undefined) envArgs.push(k);
      else entries.push([k, s]);
    }
  }
  // Entries, then fromEntries: a key such as `__proto__` stays an ordinary key.
  return { args: Object.fromEntries(entries), envArgs };
}
