// The run-time settings every built-in template shares (EXPOSE, ENV, USER,
// HEALTHCHECK): defined once here. A template takes them with `uses: [runtime]`
// in its front matter and prints them with `{{runtime with}}` on a line of its
// final stage; its own parameter of the same name wins.
import type { TemplateParam } from './template.js';

export const RUNTIME_PARAMS: Readonly<Record<string, TemplateParam>> = {
  ports: { description: 'Ports the service listens on (`EXPOSE`).', kind: 'ports', default: [] },
  env: { description: 'Environment of the running image, `NAME=value` each (`ENV`).', kind: 'env', default: [] },
  user: { description: 'User the image runs as (`USER`): a name or uid, optionally `:group`. Non-root by default; `root` or `0` to run as root.', kind: 'user', default: '65532:65532' },
  healthcheck: { description: 'Health check command in exec form (`HEALTHCHECK CMD [...]`); none when empty.', kind: 'command', default: [] },
};

/**
 * System packages of the final stage, for templates whose runtime image is Debian's
 * (`{{#if with.packages}}` ... `apt-get install` in that stage, before `{{runtime with}}`'s USER).
 */
export const SYSTEM_PARAMS: Readonly<Record<string, TemplateParam>> = {
  packages: {
    description:
      "Debian packages installed into the runtime image with apt-get (from the image's own Debian archive). That RUN executes as each target platform: `matrix plan` says emulated for a foreign one.",
    kind: 'debian-packages',
    default: [],
  },
};

/** Parameter sets a front matter can name in `uses:`. */
export const PARAM_SETS: Readonly<Record<string, Readonly<Record<string, TemplateParam>>>> = { runtime: RUNTIME_PARAMS, system: SYSTEM_PARAMS };

type Value = string | readonly string[] | undefined;

/**
 * The Dockerfile lines for the runtime settings, each value validated or quoted
 * for its place (`quote` is the template's double-quoted Dockerfile word).
 * Throws with a message when a value does not fit (the kinds were checked
 * before rendering; this is the last line of defence for user templates).
 */
export function runtimeLines(get: (name: string) => Value, quote: (s: string) => string): string {
  const list = (v: Value) => (v === undefined ? [] : typeof v === 'string' ? (v === '' ? [] : [v]) : [...v]);
  const lines: string[] = [];
  const ports = list(get('ports'));
  for (const p of ports) if (!/^[1-9][0-9]{0,4}(\/(tcp|udp))?$/.test(p)) throw new Error(`{{runtime}}: port ${JSON.stringify(p)} is not a port`);
  if (ports.length) lines.push(`EXPOSE ${ports.join(' ')}`);
  for (const e of list(get('env'))) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(e);
    if (!m) throw new Error(`{{runtime}}: env ${JSON.stringify(e)} is not NAME=value`);
    lines.push(`ENV ${m[1]}=${quote(m[2]!)}`);
  }
  const health = list(get('healthcheck'));
  if (health.length) lines.push(`HEALTHCHECK CMD ${JSON.stringify(health)}`);
  const user = get('user');
  if (typeof user === 'string' && user !== '') {
    if (!USER.test(user)) throw new Error(`{{runtime}}: user ${JSON.stringify(user)} is not a user`);
    lines.push(`USER ${user}`);
  }
  return lines.join('\n');
}

/** A user or uid, optionally `:group` or `:gid` (no `$`: USER expands variables). */
export const USER = /^[a-z_0-9][a-z0-9_.-]{0,31}(?::[a-z_0-9][a-z0-9_.-]{0,31})?$/;
