// The exact `docker buildx bake` invocation, as data. Pure: tests check the
// argument list; only the CLI runs it.
import { closest, userError, visible } from '../diagnostics.js';
import { canonicalPlatform, isKnownPlatform } from '../platforms.js';
import { cacheEntries } from '../render/cache.js';
import type { ResolvedSpec, Target } from '../spec.js';
import type { FileTargets } from './file-targets.js';

export interface BakeFlags {
  push?: boolean;
  load?: boolean;
  set?: string[];
  builder?: string;
  progress?: string;
  print?: boolean;
  noCache?: boolean;
  pull?: boolean;
  metadataFile?: string;
  /** `--allow` values, passed on (only where bake takes --allow: src/bake/entitlements.ts). */
  allow?: readonly string[];
  /** Extra bake definition files, read after the generated one (`-f FILE`), as bake sees them from the spec's directory. */
  files?: string[];
  /** Restrict the run to these platforms. */
  platforms?: string[];
  /**
   * matrix's own `--set` values that the user may override (revision labels,
   * SOURCE_DATE_EPOCH: src/repro/inputs.ts): given before `set`, since bake
   * keeps the last value of a key.
   */
  ownSets?: readonly string[];
  /** bake's `--sbom` and `--provenance` (shorthands for `--set *.attest=...`), passed on as given. */
  sbom?: string;
  provenance?: string;
  /** Where `cache: local` (without `dir`) lives on this machine; see render/cache.ts. */
  localCacheRoot?: string;
  /** Does a cache directory exist yet (only existing ones are read)? */
  cacheDirExists?: (dir: string) => boolean;
}

export interface BakeSelection {
  /** Targets to build, in spec order, with the platforms each builds in this run. */
  targets: { target: Target; platforms: readonly string[] }[];
  /** Names passed after `--`. */
  names: string[];
  /**
   * Targets the selected ones depend on (their `contexts`) and do not name,
   * with the platforms this run needs of them: set only when --platform
   * restricts the run, since bake builds a dependency on its own platforms.
   */
  dependencies?: { target: Target; platforms: readonly string[] }[];
  /**
   * Selected targets that only the `-f` files define (bake/file-targets.ts),
   * and the files bake reads: they build as bake builds them; the spec knows
   * nothing of their inputs, tests or tags.
   */
  fromFiles?: { names: readonly string[]; files: readonly string[] };
  /**
   * Targets this run builds without the cache (`--set NAME.no-cache=true`): a
   * retry after the engine lost a cached layer of theirs (src/bake/rounds.ts).
   */
  noCache?: readonly string[];
}

/**
 * Expand target and group names (services are groups) into targets; apply --platform.
 * Platforms are compared by their canonical names (src/platforms.ts canonicalPlatform,
 * as buildx normalises `--platform`): `linux/arm` selects `linux/arm/v7`.
 * `fromFiles`: what bake's --print said of the names the spec does not know
 * (bake/file-targets.ts); its targets join the selection as bake's own.
 */
export function selectTargets(spec: ResolvedSpec, requested: readonly string[], requestedPlatforms?: readonly string[], fromFiles?: FileTargets): BakeSelection {
  const platforms = requestedPlatforms?.map((p) => canonicalPlatform(p) ?? p);
  const all = [...spec.targets, ...(fromFiles?.targets ?? [])];
  const byName = new Map(all.map((t) => [t.name, t]));
  const chosen = new Set<string>();
  const addName = (name: string): boolean => {
    if (name === 'default') spec.targets.forEach((t) => chosen.add(t.name));
    else if (byName.has(name)) chosen.add(name);
    else if (spec.services.has(name)) spec.services.get(name)!.forEach((n) => chosen.add(n));
    else if (spec.groups.some(([g]) => g === name)) spec.groups.find(([g]) => g === name)![1].forEach((n) => chosen.add(n));
    else if (fromFiles?.expand.has(name)) fromFiles.expand.get(name)!.forEach((n) => chosen.add(n));
    else return false;
    return true;
  };
  for (const given of requested) {
    const name = bakeTargetName(given);
    if (fromFiles?.expand.has(name)) addName(name);
    else if (isNamePattern(name)) for (const n of patternMatches(spec, name, fromFiles?.files)) addName(n);
    else if (!addName(name)) throw unknownTarget(spec, name, given, fromFiles?.files);
  }
  if (!requested.length) spec.targets.forEach((t) => chosen.add(t.name));
  // Dependencies need no listing: bake builds them through the named contexts.
  const targets: BakeSelection['targets'] = [];
  for (const t of all) {
    if (!chosen.has(t.name)) continue;
    const ps = platforms?.length ? t.platforms.filter((p) => platforms.includes(p)) : t.platforms;
    if (ps.length) targets.push({ target: t, platforms: ps });
  }
  refuseUnbuiltPlatforms(chosen, byName, platforms, requestedPlatforms);
  if (!targets.length) {
    if (platforms?.length) throw userError('nothing-to-build', `no selected target builds for ${platforms.join(', ')}`, { hint: 'check --platform against `matrix plan`' });
    throw userError('nothing-to-build', 'no target is selected', { hint: 'name targets or groups that `matrix plan` lists' });
  }
  const names = requested.length || platforms?.length ? targets.map((x) => x.target.name) : [];
  const own = fromFiles?.targets.filter((t) => chosen.has(t.name)).map((t) => t.name);
  return {
    targets,
    names,
    ...(platforms?.length ? { dependencies: dependenciesOf(targets, byName, platforms) } : {}),
    ...(own?.length ? { fromFiles: { names: own, files: fromFiles!.files } } : {}),
  };
}

/** A platform no selected target builds is a typo or a wrong target, never silently nothing. */
function refuseUnbuiltPlatforms(chosen: ReadonlySet<string>, byName: ReadonlyMap<string, Target>, platforms: readonly string[] | undefined, requestedPlatforms: readonly string[] | undefined): void {
  const offered = new Set([...chosen].flatMap((n) => byName.get(n)!.platforms));
  for (const [i, p] of (platforms ?? []).entries()) {
    if (offered.has(p)) continue;
    const given = requestedPlatforms![i]!;
    const named = given === p ? visible(p) : `${visible(given)} (${p})`;
    // A platform the targets do not build gets the list, never a guess at another CPU; a name that is no platform gets the nearest built one.
    const near = isKnownPlatform(p) ? undefined : closest(p, offered);
    throw userError('unknown-platform', `--platform ${named}: no selected target builds it`, {
      hint: near ? `did you mean \`${near}\`? (\`matrix plan\` lists each target's platforms)` : `the selected targets build ${[...offered].join(', ')}`,
    });
  }
}

/**
 * A name no file bake reads defines: `unknown-target`, naming every file
 * (the generated one, then the `-f` files), with the nearest names as a hint.
 * `others`: names the `-f` files define, for the hint.
 */
export function unknownTarget(spec: ResolvedSpec, name: string, given: string, files: readonly string[] = [spec.bakeFile], others: readonly string[] = []) {
  const all = [...new Set([...spec.services.keys(), ...spec.groups.map(([g]) => g), ...spec.targets.map((t) => t.name), ...others])];
  const near = closest(name, all);
  const prefixed = all.filter((n) => n !== near && (n.startsWith(name) || name.startsWith(n))).slice(0, 4);
  const suggestions = [...(near ? [near] : []), ...prefixed];
  const read = name === given ? '' : ` (bake reads \`${visible(given)}\` as \`${visible(name)}\`)`;
  const where = files.map(visible).join(', ');
  if (isNamePattern(name)) return userError('unknown-target', `no target or group of ${where} matches \`${visible(name)}\`${read}`, { hint: PATTERN_HINT });
  return userError('unknown-target', `no target or group named \`${visible(name)}\` in ${where}${read}`, {
    hint: suggestions.length ? `did you mean ${suggestions.map((n) => `\`${n}\``).join(', ')}? (\`matrix plan\` lists every target)` : 'run `matrix plan` to list targets',
  });
}

/**
 * The targets `selected` reach through their named contexts (`target:NAME`),
 * transitively, that are not selected themselves, each restricted to
 * `platforms`. bake builds such a target on its own `platforms` and hands each
 * platform's result to the dependent (docker/buildx build/build.go, a
 * `target:` context); without this, a run for linux/amd64 would still build a
 * dependency for every platform it lists.
 */
function dependenciesOf(selected: BakeSelection['targets'], byName: ReadonlyMap<string, Target>, platforms: readonly string[]): NonNullable<BakeSelection['dependencies']> {
  const seen = new Set(selected.map((x) => x.target.name));
  const queue = selected.map((x) => x.target);
  const out: NonNullable<BakeSelection['dependencies']> = [];
  for (let t = queue.shift(); t; t = queue.shift()) {
    for (const name of Object.values(t.contexts)) {
      const dep = byName.get(name);
      if (!dep || seen.has(name)) continue;
      seen.add(name);
      queue.push(dep);
      const ps = dep.platforms.filter((p) => platforms.includes(p));
      if (ps.length) out.push({ target: dep, platforms: ps });
    }
  }
  return out;
}

/**
 * The groups and targets a pattern names: docker/buildx bake/bake.go
 * matchNames matches a name with `*`, `?`, `[` or `]` against every group and
 * target by path.Match. None is unknown-target.
 */
function patternMatches(spec: ResolvedSpec, pattern: string, files: readonly string[] = [spec.bakeFile]): string[] {
  const re = namePatternRegExp(pattern);
  const all = ['default', ...spec.groups.map(([g]) => g), ...spec.services.keys(), ...spec.targets.map((t) => t.name)];
  const matched = all.filter((n) => re.test(n));
  if (!matched.length) {
    throw userError('unknown-target', `no target or group of ${files.map(visible).join(', ')} matches \`${visible(pattern)}\``, { hint: PATTERN_HINT });
  }
  return matched;
}

const PATTERN_HINT = 'run `matrix plan` to list targets; in a pattern, * stands for any run of characters, ? for one, [a-z] for one of a set';

/**
 * A name as bake reads it: buildx bake/bake.go ReadTargets passes every name
 * through sanitizeTargetName, which turns `.` into `_` (a Compose service
 * name may hold a dot; a bake target name may not), before it looks the name
 * up or matches it as a pattern. So `matrix bake my.svc` builds `my_svc`.
 */
export function bakeTargetName(name: string): string {
  return name.replaceAll('.', '_');
}

/**
 * The target pattern and the field a `--set` value sets, as bake splits its
 * key (`api*.args.X+=1`: `api*` and `args`; a trailing `+` of append dropped).
 * docker/buildx bake/bake.go newOverrides: the key is what comes before the
 * first `=`, split on `.` into at most three parts; the first is a target
 * pattern (expandTargets: a name, else a path.Match pattern), the second the
 * field, taken as written (no trimming, no case folding: `OUTPUT` or
 * `output ` are keys bake refuses). Every reader of a --set key in matrix
 * goes through here.
 */
export function setTarget(value: string): { pattern: string; field: string | undefined } {
  const [pattern, field] = value.split('=', 1)[0]!.replace(/\+$/, '').split('.', 3);
  return { pattern: pattern!, field };
}

/** Is `name` a target or group of the generated file (a service is a group)? */
export function specDefines(spec: ResolvedSpec, name: string): boolean {
  return name === 'default' || spec.targets.some((t) => t.name === name) || spec.services.has(name) || spec.groups.some(([g]) => g === name);
}

/** Does bake read this name as a pattern (bake.go matchNames: any of `*?[]`)? */
export function isNamePattern(name: string): boolean {
  return /[*?[\]]/.test(name);
}

/**
 * Go's path.Match as a RegExp, for names (which hold no `/`): `*` any run of
 * characters but `/`, `?` one, `[...]` one of a set (`^` negates, `a-z` a
 * range), `\\` quotes the next character; `]` alone is itself. A malformed
 * pattern (an unclosed `[`, a set that starts with `-` or `]`, a trailing
 * `\\`) is a usage error, where bake would match nothing.
 */
export function namePatternRegExp(pattern: string): RegExp {
  let out = '';
  const bad = () => userError('usage', `\`${visible(pattern)}\` is no valid name pattern`, { hint: 'close each [ with ], and quote a special character with \\' });
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw bad();
      out += literal(pattern[++i]!);
    } else if (c === '[') {
      // As Go's matchChunk reads a set: optional ^, then one or more chars or ranges lo-hi, then ].
      let j = i + 1;
      let set = '';
      if (pattern[j] === '^') {
        set += '^';
        j++;
      }
      // getEsc: a char where a set member is expected; `-` and `]` there, or the end, are malformed.
      const member = (): string => {
        let x = pattern[j];
        if (x === undefined || x === '-' || x === ']') throw bad();
        if (x === '\\') {
          x = pattern[++j];
          if (x === undefined) throw bad();
        }
        j++;
        return literal(x, true);
      };
      for (let n = 0; ; n++) {
        if (pattern[j] === ']' && n > 0) break;
        const lo = member();
        if (pattern[j] === '-') {
          j++;
          set += `${lo}-${member()}`;
        } else set += lo;
      }
      out += `[${set}]`;
      i = j;
    } else out += literal(c);
  }
  return new RegExp(`^${out}$`, 'u');
}

/** One character matched as itself; `-` is quoted only inside a set (the `u` flag refuses `\\-` outside one). */
function literal(c: string, inSet = false): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) || (inSet && c === '-') ? `\\${c}` : c;
}

export function bakeArgs(bakeFile: string, sel: BakeSelection, flags: BakeFlags): string[] {
  // bake merges its files in order: later files win, so the user's come after ours.
  const args = ['buildx', 'bake', '-f', bakeFile, ...(flags.files ?? []).flatMap((f) => ['-f', f])];
  if (flags.builder) args.push('--builder', flags.builder);
  if (flags.print) args.push('--print');
  if (flags.push) args.push('--push');
  if (flags.load) args.push('--load');
  if (flags.noCache) args.push('--no-cache');
  // bake's --pull=false is `*.pull=false` (commands/bake.go, when the flag is given): it overrides a -f file's `pull = true`.
  if (flags.pull !== undefined) args.push(flags.pull ? '--pull' : '--pull=false');
  if (flags.progress) args.push('--progress', flags.progress);
  if (flags.metadataFile) args.push('--metadata-file', flags.metadataFile);
  if (flags.sbom !== undefined) args.push(`--sbom=${flags.sbom}`);
  if (flags.provenance !== undefined) args.push(`--provenance=${flags.provenance}`);
  for (const a of flags.allow ?? []) args.push(`--allow=${a}`);
  for (const { target, platforms } of [...sel.targets, ...(sel.dependencies ?? [])]) {
    const subset = platforms.length !== target.platforms.length;
    const machineLocal = target.cache?.type === 'local' && target.cache.dir === undefined;
    if (subset) args.push('--set', `${target.name}.platform=${platforms.join(',')}`);
    if (!subset && !machineLocal) continue;
    // This run's cache goes to the ref of its own platform set (see render/cache.ts).
    const cache = cacheEntries(target, platforms, flags.localCacheRoot, flags.cacheDirExists);
    // Repeated --set of one list key accumulates its entries.
    for (const e of cache.to) args.push('--set', `${target.name}.cache-to=${e}`);
    for (const e of cache.from) args.push('--set', `${target.name}.cache-from=${e}`);
  }
  for (const s of flags.ownSets ?? []) args.push('--set', s);
  for (const s of flags.set ?? []) args.push('--set', s);
  if (!flags.noCache) for (const name of sel.noCache ?? []) args.push('--set', `${name}.no-cache=true`);
  // `--` so that no target name can ever be read as a flag.
  args.push('--', ...sel.names);
  return args;
}
