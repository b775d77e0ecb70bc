import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { colors, UserError } from '../diagnostics.js';
import { finalStageDiagnostics } from '../plan/final-stage.js';
import { hostPlatform } from '../platforms.js';
import { formatAffected, formatPlan } from '../output/format.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import type { Target } from '../spec.js';
import type { AffectedPlan } from '../affected/affected.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { dynVariables } from '../dyn.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import { targetSupports } from '../validate/template-platforms.js';
import type { CommandArgs } from './options.js';

/** Does any tag, build arg or label (what buildPlan evaluates) refer to a value known only at build time? */
function showsGitValues(targets: readonly Target[]): boolean {
  return targets.some((t) => [...t.tags, ...Object.values(t.args), ...Object.values(t.labels)].some((d) => dynVariables(d).length > 0));
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
