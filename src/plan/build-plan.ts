// A build plan: each target's platforms and how each would build (natively,
// cross-compiled, emulated), with the values a build would get. `matrix plan`
// prints it; bake, doctor and verify read it. Pure over a compiled spec: it
// imports nothing of the compiler, so a bake that answers from its record
// does not load the compiler to plan.
import path from 'node:path';
import { readRegularText } from '../fs/read.js';
import { canonicalPlatform } from '../platforms.js';
import { classify, emulationReason, type Mode } from './stages.js';
import type { ResolvedSpec, Target } from '../spec.js';
import { evalDyn, evalTags, type Dyn } from '../dyn.js';

export interface PlannedTarget {
  name: string;
  service: string;
  matrix: Record<string, string>;
  context: string;
  dockerfile: string;
  generated: boolean;
  target?: string;
  /** `why`: for `emulated`, the stage and line that run as the target platform. */
  platforms: { platform: string; mode: Mode; why?: string }[];
  tags: string[];
  args: Record<string, string>;
  labels: Record<string, string>;
  contexts: Record<string, string>;
}

export interface Plan {
  spec: string;
  bakeFile: string;
  buildPlatform: string;
  targets: PlannedTarget[];
}

/** A plan shows values as a build would get them: git values from `env` (see buildEnvironment). */
export function buildPlan(
  spec: ResolvedSpec,
  files: ReadonlyMap<string, string>,
  specDir: string,
  buildPlatform: string,
  env: Readonly<Record<string, string | undefined>> = {},
  supports: (t: Target, platform: string) => boolean = () => true,
): Plan {
  // Compared with each target's canonical platforms: `linux/aarch64` is linux/arm64 (the CLI maps it already, see OptionSpec.platform).
  buildPlatform = canonicalPlatform(buildPlatform) ?? buildPlatform;
  const values = (m: Record<string, Dyn>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, evalDyn(v, env) ?? '']));
  const texts = new Map<string, string>();
  const textOf = (t: Target): string => {
    const cached = texts.get(t.dockerfile);
    if (cached !== undefined) return cached;
    const text = files.get(t.dockerfile) ?? readRegularText(path.resolve(specDir, t.dockerfile), { display: t.dockerfile });
    texts.set(t.dockerfile, text);
    return text;
  };
  return {
    spec: spec.specName,
    bakeFile: spec.bakeFile,
    buildPlatform,
    targets: spec.targets.map((t) => ({
      name: t.name,
      service: t.service,
      matrix: t.cell,
      context: t.context,
      dockerfile: t.dockerfile,
      generated: t.source.kind === 'template',
      ...(t.stage !== undefined ? { target: t.stage } : {}),
      platforms: t.platforms.map((p) => withReason({ platform: p, mode: classify(textOf(t), p, buildPlatform, t.stage, supports(t, p)) }, () => emulationReason(textOf(t), t.dockerfile, t.stage))),
      tags: evalTags(t.tags, env),
      args: values(t.args),
      labels: values(t.labels),
      contexts: Object.fromEntries(Object.entries(t.contexts).map(([k, v]) => [k, `target:${v}`])),
    })),
  };
}

/** An emulated platform carries why (src/plan/stages.ts emulationReason). */
function withReason(p: { platform: string; mode: Mode }, why: () => string | undefined): { platform: string; mode: Mode; why?: string } {
  const reason = p.mode === 'emulated' ? why() : undefined;
  return reason ? { ...p, why: reason } : p;
}
