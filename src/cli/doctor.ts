import { dockerOf } from '../adapters/docker.js';
import { colors } from '../diagnostics.js';
import { baseImageChecks, planBaseImages, type BaseImage } from '../doctor/base-images.js';
import { runDoctor } from '../doctor/doctor.js';
import { formatDoctor } from '../output/format.js';
import { hostPlatform } from '../platforms.js';
import type { CommandArgs } from './options.js';
import { compileOrThrow, locateSpec, SPEC_NAMES, type Io } from './io.js';
import { buildPlan } from '../plan/build-plan.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

export async function runDoctorCommand(io: Io, opts: CommandArgs['doctor'], color: boolean): Promise<number> {
  // Without a spec, check the engine alone; with one, also what the spec needs.
  const haveSpec = opts.spec !== undefined || SPEC_NAMES.some((n) => existsSync(path.join(io.cwd, n)));
  let platforms: string[] = [];
  let emulated: string[] = [];
  let registries: string[] = [];
  let images: BaseImage[] = [];
  if (haveSpec) {
    const loc = locateSpec(io, opts.spec);
    const result = compileOrThrow(loc);
    const plan = buildPlan(result.spec!, result.files!, loc.specDir, hostPlatform());
    platforms = [...new Set(plan.targets.flatMap((t) => t.platforms.map((p) => p.platform)))];
    emulated = [...new Set(plan.targets.flatMap((t) => t.platforms.filter((p) => p.mode === 'emulated').map((p) => p.platform)))];
    registries = [...new Set(plan.targets.flatMap((t) => t.tags.map((tag) => (tag.includes('/') ? tag.split('/')[0]! : ''))).filter(Boolean))];
    images = planBaseImages(plan.targets, loc.specDir, result.files);
  }
  const checks = await runDoctor({
    docker: dockerOf(io.env),
    ...(opts.builder ? { builder: opts.builder } : {}),
    platforms,
    emulatedPlatforms: emulated,
    registries,
    multiPlatform: true,
  });
  // Base images only once the engine answers: their lookups go through it.
  if (images.length && !checks.some((ch) => ch.status === 'fail')) checks.push(...(await baseImageChecks(images, dockerOf(io.env))));
  const failed = checks.some((ch) => ch.status === 'fail');
  if (opts.json) io.stdout.write(JSON.stringify({ ok: !failed, checks }, null, 2) + '\n');
  else io.stdout.write(formatDoctor(checks, colors(color)));
  // A probe killed by a signal matrix did not send (Check.fault) is this machine's fault, as it is
  // when it stops a build: 74 (README, Exit codes), not a failed check's 1.
  if (checks.some((ch) => ch.status === 'fail' && ch.fault)) return 74;
  return failed ? 1 : 0;
}
