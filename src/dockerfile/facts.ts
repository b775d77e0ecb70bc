// What a hand-written Dockerfile says about the service it builds, for `init`
// to show: the ports its final stage EXPOSEs, the USER it runs as, its CMD or
// ENTRYPOINT, and its stages. Read from BuildKit's logical lines
// (directives.ts), per the Dockerfile reference
// (https://docs.docker.com/reference/dockerfile/): instructions are
// case-insensitive, and each FROM starts a stage whose settings do not carry
// into the next one (the image is its last stage's).
import { logicalLines } from './directives.js';
import { parseStages } from './stages.js';

export interface DockerfileFacts {
  /** Stage count; `stageNames` the named ones, in order. */
  stages: number;
  stageNames: string[];
  /** Of the final stage. */
  expose: string[];
  user?: string;
  /** The last CMD or ENTRYPOINT of the final stage, as written. */
  cmd?: string;
}

export function dockerfileFacts(text: string): DockerfileFacts {
  const stages = parseStages(text);
  const facts: DockerfileFacts = { stages: stages.length, stageNames: stages.flatMap((s) => s.name ?? []), expose: [] };
  for (const { text: line } of logicalLines(text)) {
    const m = /^\s*([A-Za-z]+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const rest = (m[2] ?? '').trim();
    if (instr === 'FROM') {
      // A new stage: what the earlier one said is not the image's.
      facts.expose = [];
      delete facts.user;
      delete facts.cmd;
    } else if (instr === 'EXPOSE') {
      for (const p of rest.split(/\s+/)) if (p && !facts.expose.includes(p)) facts.expose.push(p);
    } else if (instr === 'USER' && rest) facts.user = rest;
    else if ((instr === 'CMD' || instr === 'ENTRYPOINT') && rest) facts.cmd = rest;
  }
  return facts;
}

/** One short line for a proposal: `2 stages (build, run), EXPOSE 8080, USER app, CMD ["./api"]`. */
export function describeFacts(f: DockerfileFacts): string {
  const parts: string[] = [];
  if (f.stages > 1) parts.push(`${f.stages} stages${f.stageNames.length ? ` (${f.stageNames.join(', ')})` : ''}`);
  if (f.expose.length) parts.push(`EXPOSE ${f.expose.join(' ')}`);
  parts.push(f.user ? `USER ${f.user}` : 'runs as root (no USER)');
  if (f.cmd) parts.push(`CMD ${f.cmd.length > 60 ? `${f.cmd.slice(0, 57)}...` : f.cmd}`);
  return parts.join(', ');
}
