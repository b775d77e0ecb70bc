// The stages of a Dockerfile: each FROM line (base, `AS` name, `--platform`),
// whether the stage RUNs anything, and the stages it copies or mounts from.
// Read from BuildKit's logical lines (directives.ts), so the escape directive,
// continuations and comments count as they do for BuildKit.
import { logicalLines } from './directives.js';

export interface Stage {
  index: number;
  name?: string;
  base: string;
  platformFlag?: string;
  runs: boolean;
  needs: string[];
}

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  // Instructions as BuildKit assembles them (its escape directive, continuations, comments).
  const logical = logicalLines(text).map((l) => l.text);
  for (const line of logical) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (instr === 'FROM') {
      const words = rest.trim().split(/\s+/);
      let platformFlag: string | undefined;
      while (words[0]?.startsWith('--')) {
        const flag = words.shift()!;
        const pm = /^--platform=(.*)$/.exec(flag);
        if (pm) platformFlag = pm[1];
      }
      const base = words[0] ?? '';
      const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      stages.push({ index: stages.length, base, runs: false, needs: [], ...(name ? { name } : {}), ...(platformFlag ? { platformFlag } : {}) });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue;
    if (instr === 'RUN') stage.runs = true;
    for (const fm of rest.matchAll(/--(?:from|mount=[^\s]*?from)=([^\s,]+)/g)) stage.needs.push(fm[1]!.toLowerCase());
  }
  return stages;
}

/** Image names in FROM lines (flags and `AS name` dropped). */
export function fromImages(dockerfile: string): string[] {
  const out: string[] = [];
  for (const { text } of logicalLines(dockerfile)) {
    const m = /^FROM\s+(?:--\S+\s+)*(\S+)/i.exec(text);
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}
