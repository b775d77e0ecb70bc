import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { colors, UserError } from '../diagnostics.js';
import { finalStageDiagnostics } from '../plan/final-stage.js';
import { canonicalPlatform, hostPlatform } from '../platforms.js';
import { formatAffected, formatPlan } from '../output/format.js';
import { classify, emulationReason, type Mode } from '../plan/stages.js';
import type { ResolvedSpec, Target } from '../spec.js';
import type { AffectedPlan } from '../affected/affected.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { dynVariables, evalDyn, evalTags, type Dyn } from '../dyn.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import { targetSupports } from '../validate/template-platforms.js';
import type { CommandArgs } from './options.js';

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

/** Does any tag, build arg or label (what buildPlan evaluates) refer to a value known only at build time? */
function showsGitValues(targets: readonly Target[]): boolean {
  return targets.some((t) => [...t.tags, ...Object.values(t.args), ...Object.values(t.labels)].some((d) => dynVariables(d).length > 0));
}

/** An emulated platform carries why (src/plan/stages.ts emulationReason). */
function withReason(p: { platform: string; mode: Mode }, why: () => string | undefined): { platform: string; mode: Mode; why?: string } {
  const reason = p.mode === 'emulated' ? why() : undefined;
  return reason ? { ...p, why: reason } : p;
}

/**
 * The full `matrix plan` (src/cli/plan-entry.ts tries the record of its last
 * run first). `unrecorded` is called when the plan consults what no recorded
 * read covers (git, for git values or --affected): such a run leaves no record.
 */
export async function runPlan(io: Io, opts: CommandArgs['plan'], color: boolean, unrecorded: () => void = () => {}): Promise<number> {
  const loc = locateSpec(io, opts.spec);
  // A platform the template cannot produce is printed as a warning and shown as "unsupported".
  const result = compileOrThrow(loc, false, io, true);
  const git = showsGitValues(result.spec!.targets);
  if (git || opts.affected !== undefined) unrecorded();
  // git runs only when a value the plan shows depends on it (a tag, build arg or label with a git.* or semver.* part).
  const env = git ? await buildEnvironment(loc.repoRoot, io.env, result.spec!.sourceDateEpoch, result.spec!, (m) => io.stderr.write(`matrix: warning: ${m}\n`)) : {};
  const templates = result.templates ?? new Map();
  const full = buildPlan(result.spec!, result.files!, loc.specDir, opts.buildPlatform ?? hostPlatform(), env, (t, p) => targetSupports(t, p, templates));
  const pinned = finalStageDiagnostics(result.spec!.targets, (t) => result.files!.get(t.dockerfile) ?? readRegularText(path.resolve(loc.specDir, t.dockerfile), { display: t.dockerfile }));
  if (pinned.length) throw new UserError(pinned);
  let plan: Plan & { affected?: AffectedPlan } = full;
  const reasons = new Map<string, string[]>();
  if (opts.affected !== undefined) {
    const { computeAffected } = await import('../affected/affected.js');
    const aff = await computeAffected({ repoRoot: loc.repoRoot, specPath: loc.specPath, ref: opts.affected, current: { spec: result.spec!, files: result.files! }, env: io.env });
    for (const t of aff.targets) reasons.set(t.name, t.reasons);
    plan = { ...full, targets: full.targets.filter((t) => reasons.has(t.name)), affected: aff };
  }
  if (opts.json) {
    io.stdout.write(JSON.stringify(plan, null, 2) + '\n');
    return 0;
  }
  const c = colors(color);
  if (opts.affected !== undefined) {
    io.stdout.write(formatAffected(opts.affected, plan.targets, full.targets.length, reasons, c));
    if (!plan.targets.length) return 0;
  }
  io.stdout.write(formatPlan(plan, c));
  return 0;
}
