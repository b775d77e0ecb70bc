// Where does a Dockerfile's work run? Reads the stages, follows what the
// built stage needs, and classifies each target platform:
//   native   - the build platform runs the target platform without emulation
//              (src/platforms.ts runsNatively: containerd's matcher, so an
//              amd64/v3 builder runs amd64/v2, amd64 and 386 natively);
//   cross    - every stage that RUNs something is pinned to $BUILDPLATFORM;
//   emulated - some RUN executes as the target platform (QEMU when foreign);
//   no-run   - nothing is executed, files are only copied;
//   unsupported - the template cannot produce this platform (its front matter
//              `platforms:`, see validate/template-platforms.ts).
// For `emulated`, `emulatedBy` names the first such RUN (its stage and line),
// so `plan` can say why.

import { logicalLines } from '../dockerfile/directives.js';
import { parseStages, type Stage } from '../dockerfile/stages.js';
import { runsNatively } from '../platforms.js';

export type Mode = 'native' | 'cross' | 'emulated' | 'no-run' | 'unsupported';

/** The stages that run something for the built stage, and whether each runs on the build platform. */
function runningStages(text: string, targetStage?: string): { running: Stage[]; onBuild: (s: Stage) => boolean } | 'no-stages' | 'no-target' {
  const stages = parseStages(text);
  if (!stages.length) return 'no-stages';
  const byName = new Map<string, Stage>();
  for (const s of stages) {
    if (s.name) byName.set(s.name, s);
    byName.set(String(s.index), s);
  }
  const final = targetStage ? byName.get(targetStage.toLowerCase()) : stages[stages.length - 1];
  if (!final) return 'no-target';
  // A stage runs on the build platform when pinned there, or built FROM a stage that is.
  const onBuild = (s: Stage, seen = new Set<Stage>()): boolean => {
    if (seen.has(s)) return false;
    seen.add(s);
    if (s.platformFlag !== undefined) return /^\$\{?BUILDPLATFORM\}?$/.test(s.platformFlag);
    const parent = byName.get(s.base.toLowerCase());
    return parent ? onBuild(parent, seen) : false;
  };
  const reachable = new Set<Stage>();
  const walk = (s: Stage) => {
    if (reachable.has(s)) return;
    reachable.add(s);
    const parent = byName.get(s.base.toLowerCase());
    if (parent && parent.index < s.index) walk(parent);
    for (const n of s.needs) {
      const dep = byName.get(n);
      if (dep && dep.index < s.index) walk(dep);
    }
  };
  walk(final);
  return { running: [...reachable].filter((s) => s.runs).sort((a, b) => a.index - b.index), onBuild: (s) => onBuild(s) };
}

export function classify(text: string, platform: string, buildPlatform: string, targetStage?: string, supported = true): Mode {
  if (!supported) return 'unsupported';
  if (runsNatively(buildPlatform, platform)) return 'native';
  const r = runningStages(text, targetStage);
  if (r === 'no-stages') return 'no-run';
  if (r === 'no-target') return 'emulated';
  if (!r.running.length) return 'no-run';
  return r.running.every((s) => r.onBuild(s)) ? 'cross' : 'emulated';
}

/** The first RUN that executes as the target platform: its stage (name, or index) and line; undefined when none does. */
export function emulatedBy(text: string, targetStage?: string): { stage: string; line: number } | undefined {
  const r = runningStages(text, targetStage);
  if (typeof r === 'string') return undefined;
  const first = r.running.find((s) => !r.onBuild(s));
  if (!first) return undefined;
  // The stage's first RUN in BuildKit's logical lines (FROM lines counted to find the stage).
  let index = -1;
  for (const l of logicalLines(text)) {
    if (/^\s*FROM\s/i.test(l.text)) index++;
    else if (index === first.index && /^\s*RUN\s/i.test(l.text)) return { stage: first.name ?? String(first.index), line: l.line };
  }
  return undefined;
}

/** Why `plan` says emulated: the stage and line of the first RUN that executes as the target platform. */
export function emulationReason(text: string, dockerfile: string, targetStage?: string): string | undefined {
  const by = emulatedBy(text, targetStage);
  if (!by) return undefined;
  const unnamedFinal = /^[0-9]+$/.test(by.stage) && Number(by.stage) === parseStages(text).length - 1 && targetStage === undefined;
  return `${unnamedFinal ? 'the final stage' : `stage \`${by.stage}\``} runs \`RUN\` as the target platform, ${dockerfile}:${by.line}`;
}
