// Where does a Dockerfile's work run? Reads the stages, follows what the
// built stage needs, and classifies each target platform:
//   native   - the target platform is the build platform;
//   cross    - every stage that RUNs something is pinned to $BUILDPLATFORM;
//   emulated - some RUN executes as the target platform (QEMU when foreign);
//   no-run   - nothing is executed, files are only copied;
//   unsupported - the template cannot produce this platform (its front matter
//              `platforms:`, see validate/template-platforms.ts).

import { parseStages, type Stage } from '../dockerfile/stages.js';

export type Mode = 'native' | 'cross' | 'emulated' | 'no-run' | 'unsupported';

export function classify(text: string, platform: string, buildPlatform: string, targetStage?: string, supported = true): Mode {
  if (!supported) return 'unsupported';
  if (platform === buildPlatform) return 'native';
  const stages = parseStages(text);
  if (!stages.length) return 'no-run';
  const byName = new Map<string, Stage>();
  for (const s of stages) {
    if (s.name) byName.set(s.name, s);
    byName.set(String(s.index), s);
  }
  const final = targetStage ? byName.get(targetStage.toLowerCase()) : stages[stages.length - 1];
  if (!final) return 'emulated';
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
  const running = [...reachable].filter((s) => s.runs);
  if (!running.length) return 'no-run';
  return running.every((s) => onBuild(s)) ? 'cross' : 'emulated';
}
