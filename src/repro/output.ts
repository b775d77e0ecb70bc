// Image outputs with `rewrite-timestamp=true`: BuildKit (0.13+) then clamps
// the time of every file in the layers it exports to SOURCE_DATE_EPOCH, so
// a Dockerfile that leaves build times in its files still gives the same
// layers from the same commit. Pure: returns bake flags, runs nothing.
//
// Only where the exporter allows it. On the `docker` driver the image is
// unpacked into the engine's store, and BuildKit refuses the option
// (`exporter option "rewrite-timestamp" conflicts with "unpack"`, even with
// unpack=false); there the templates normalise file times themselves.

import { setTarget } from '../bake/command.js';
import { outputType, PUSHED_TYPES, pushedByBake } from '../resolve/outputs.js';

/** Drivers whose image and docker exporters accept rewrite-timestamp. */
export const REWRITE_TIMESTAMP_DRIVERS: readonly string[] = ['docker-container', 'remote', 'kubernetes'];

export interface OutputFlags {
  push?: boolean;
  load?: boolean;
  /** The run's other `--set` values: an explicit `*.output` there is the caller's choice and is left alone. */
  set?: readonly string[];
  /**
   * The targets of the run with their own outputs. Without it, `--push`
   * pushes every target; with it, as bake's --push: a target with a local,
   * tar, oci, docker or cacheonly output only is exported, not pushed.
   */
  targets?: readonly { name: string; outputs: readonly string[] }[];
}

export interface ReproducibleOutputs {
  /** Extra `--set` values (each one `--set` argument), to put before the caller's own. */
  set: string[];
  /** What to pass as bake's --push / --load instead of the requested flags. */
  push: boolean;
  load: boolean;
}

/**
 * The outputs for a build with `push`/`load`, with rewrite-timestamp=true
 * where the builder's driver supports it.
 *
 * bake's `--push` and `--load` are shorthands for `*.output=type=registry` and
 * `*.output=type=docker`; the option can only be added by spelling the outputs
 * out, and then the shorthands must not be passed as well (buildx 0.13 appends
 * another `type=docker` for --load, and with --push --load it drops push=true
 * from an explicit image output). So when the option applies, the result
 * turns the flags off and sets the outputs; otherwise it returns the flags
 * unchanged and no sets.
 */
export function reproducibleOutputs(driver: string, flags: OutputFlags): ReproducibleOutputs {
  const unchanged: ReproducibleOutputs = { set: [], push: Boolean(flags.push), load: Boolean(flags.load) };
  if (!REWRITE_TIMESTAMP_DRIVERS.includes(driver)) return unchanged;
  if ((flags.set ?? []).some(setsOutput)) return unchanged;
  const set: string[] = [];
  if (flags.push) set.push(...pushOutputs(flags));
  if (flags.load) set.push('*.output=type=docker,rewrite-timestamp=true');
  // Neither: bake exports nothing on these drivers (the result stays in the cache).
  if (!set.length) return unchanged;
  return { set, push: false, load: false };
}

/**
 * --push as outputs. With --load too, every target (buildx 0.13's --load
 * replaces each target's outputs by `type=docker`, so every target then has
 * an image to push). Else per target, as bake's --push (resolve/outputs.ts
 * pushedByBake): one without outputs gets the image output with
 * rewrite-timestamp; one with an image or registry output `T.push=true`
 * (bake's own per-target form of --push); one whose outputs are all `docker`
 * the image output and its own outputs again (`T.output` replaces the list;
 * buildx 0.13's `T.push=true` would leave it unpushed); one that only exports
 * files nothing.
 */
function pushOutputs(flags: OutputFlags): string[] {
  const image = 'output=type=image,push=true,rewrite-timestamp=true';
  if (flags.load || !flags.targets) return [`*.${image}`];
  return flags.targets.flatMap((t) => {
    if (!pushedByBake(t.outputs)) return [];
    if (!t.outputs.length) return [`${t.name}.${image}`];
    if (t.outputs.some((o) => PUSHED_TYPES.has(outputType(o) ?? ''))) return [`${t.name}.push=true`];
    return [`${t.name}.${image}`, ...t.outputs.map((o) => `${t.name}.output=${o}`)];
  });
}

/**
 * Does bake read this `--set` value as setting a target's `output`? Read by
 * bake/command.ts setTarget, the one reader of a --set key: buildx bake/bake.go
 * newOverrides splits the key on `.` (the target pattern, a path.Match pattern
 * such as `*`, `api` or `api-*`, then the field; `api.output.x=...` sets
 * `output` too), compares the field as written (`OUTPUT`, `output ` are keys
 * bake refuses, not outputs) and drops the `+` of an append.
 */
function setsOutput(value: string): boolean {
  return setTarget(value).field === 'output';
}
