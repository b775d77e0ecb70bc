// The command table: every command, its positionals and options, said once.
// yargs is configured from it (help, completion, strict checking), and
// `parseArgs` below turns what yargs parsed into each command's typed options with one set of rules:
//
// - an option that takes one value may be given once: twice is a usage error;
// - a repeatable option collects its values, a `list` one also splits them at
//   commas; values never swallow the positionals after them
//   (`bake --platform linux/arm64 api` builds api);
// - an empty value (`--spec ''`, `--builder=`) is a usage error;
// - numbers are whole numbers, choices are checked.
//
// This module is data and small pure functions.
import { closest } from '../diagnostics.js';
import { commandLinePlatform, commandLinePlatformProblem, KNOWN_PLATFORMS, platformProblem } from '../platforms.js';

export type OptionType = 'string' | 'boolean' | 'number';

export interface OptionSpec {
  readonly type: OptionType;
  readonly describe: string;
  readonly alias?: string;
  /** May be given more than once; the values add up. */
  readonly repeatable?: boolean;
  /** Repeatable, and each value is also split at commas. */
  readonly list?: boolean;
  readonly choices?: readonly string[];
  readonly default?: string | boolean | number;
  /** A number option's smallest and largest value (whole numbers; the smallest is 0 unless told). */
  readonly min?: number;
  readonly max?: number;
  /**
   * The values are platform names, mapped to their canonical name as buildx
   * maps `--platform` (util/platformutil/parse.go Parse: containerd's Parse and
   * Normalize), so `linux/aarch64` is `linux/arm64` from here on, and `local`
   * (any case) is this machine's platform, as buildx's parse has it, and an OS
   * alone (`linux`) that OS on this machine's architecture, as containerd's
   * Parse has it. Spaces are refused, as buildx refuses them. `filter`:
   * any other name is left for the command to refuse, naming what its targets
   * build; `known`: any other name is a usage error here.
   */
  readonly platform?: 'filter' | 'known';
}

export interface PositionalSpec {
  readonly name: string;
  readonly describe: string;
  /** Takes any number of values (`targets..`). */
  readonly variadic?: boolean;
  readonly required?: boolean;
  readonly choices?: readonly string[];
  /** Values are also split at commas. */
  readonly list?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly describe: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples?: readonly (readonly [string, string])[];
  /** false: the command never reads a spec, so its help does not offer --spec. */
  readonly readsSpec?: false;
}

// ---- Types of the parsed options, derived from the table.

type Many<O> = O extends { repeatable: true } ? true : O extends { list: true } ? true : false;
type ValueOf<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['type'] extends 'number'
    ? number
    : Many<O> extends true
      ? string[]
      : O extends { choices: readonly (infer C)[] }
        ? C
        : string;
type Always<O> = O extends { default: unknown } ? true : Many<O>;
type Simplify<T> = { [K in keyof T]: T[K] };
export type OptionsOf<O extends Readonly<Record<string, OptionSpec>>> = Simplify<
  { -readonly [K in keyof O as Always<O[K]> extends true ? K : never]: ValueOf<O[K]> } & {
    -readonly [K in keyof O as Always<O[K]> extends true ? never : K]?: ValueOf<O[K]>;
  }
>;
type PositionalValue<P extends PositionalSpec> = P extends { variadic: true } ? string[] : P extends { choices: readonly (infer C)[] } ? C : string;
type PositionalsOf<P> = P extends readonly PositionalSpec[]
  ? Simplify<
      { [E in P[number] as E extends { variadic: true } | { required: true } ? E['name'] : never]: PositionalValue<E> } & {
        [E in P[number] as E extends { variadic: true } | { required: true } ? never : E['name']]?: PositionalValue<E>;
      }
    >
  : unknown;

/** What a command's handler receives: its positionals, its options and the global ones. */
export type ArgsOf<C extends CommandSpec> = Simplify<PositionalsOf<C['positionals']> & OptionsOf<C['options']> & OptionsOf<typeof GLOBAL_OPTIONS>>;

// ---- The table.

export const GLOBAL_OPTIONS = {
  spec: { type: 'string', alias: 's', describe: 'Spec file (default: ./matrix.yaml)' },
  color: { type: 'boolean', describe: 'Force colours on or off (default: on for a terminal, off with NO_COLOR)' },
} as const satisfies Record<string, OptionSpec>;

/** buildx's --progress values (docker buildx bake --help). */
const PROGRESS = ['auto', 'plain', 'tty', 'rawjson', 'quiet'] as const;

const platformOption = { type: 'string', list: true, platform: 'filter', describe: 'Only build these platforms' } as const;
/** --cache of the commands that answer from a record of their own output (src/cache/output.ts). */
const OUTPUT_CACHE = 'Answer from the record of the last run with the same options when every file it read is unchanged; --no-cache (or MATRIX_CACHE=0) compiles every time';

export const COMMANDS = {
  gen: {
    name: 'gen',
    describe: 'Write the Dockerfiles and docker-bake.hcl that the spec describes',
    options: {
      check: { type: 'boolean', default: false, describe: 'Write no generated file; exit 1 and show a diff when one is missing, stale or orphaned' },
      quiet: { type: 'boolean', alias: 'q', default: false, describe: 'Print nothing when successful' },
      cache: {
        type: 'boolean',
        default: true,
        describe: 'Answer "up to date" from the record of the last up-to-date gen or gen --check when every file it read is unchanged; --no-cache (or MATRIX_CACHE=0) compiles every time',
      },
    },
    examples: [
      ['$0 gen', 'regenerate after editing matrix.yaml'],
      ['$0 gen --check', 'in pre-commit or CI: fail when committed files drift from the spec'],
    ],
  },
  validate: {
    name: 'validate',
    describe: 'Check the spec and report every error with its file:line:column',
    options: {
      cache: {
        type: 'boolean',
        default: true,
        describe: 'Answer from the record of the last up-to-date gen, gen --check or validate when every file it read is unchanged; --no-cache (or MATRIX_CACHE=0) checks every time',
      },
    },
    examples: [['$0 validate --spec services/matrix.yaml', 'validate a spec elsewhere']],
  },
  plan: {
    name: 'plan',
    describe: 'Show every target (service x matrix cell) with platforms, tags, args and how each platform is built',
    options: {
      json: { type: 'boolean', default: false, describe: 'Print the plan as JSON' },
      buildPlatform: { type: 'string', platform: 'known', describe: 'Platform of the builder (default: this machine)' },
      affected: { type: 'string', describe: 'Only targets whose inputs changed since this git revision, and their dependents, with the reasons' },
      cache: {
        type: 'boolean',
        default: true,
        describe:
          'Answer from the record of the last plan with the same options when every file it read is unchanged (none with --affected, git values or warnings); --no-cache (or MATRIX_CACHE=0) compiles every time',
      },
    },
    examples: [
      ['$0 plan', 'see which platforms cross-compile and which need QEMU'],
      ['$0 plan --affected origin/main', 'what a pull request would rebuild'],
      ['$0 plan --json | jq ".targets[].name"', 'list target names'],
    ],
  },
  bake: {
    name: 'bake',
    describe: 'Build targets (default: all) for all their platforms in one docker buildx bake run',
    positionals: [{ name: 'targets', variadic: true, list: true, describe: 'Targets or groups to build (default: all); a service name builds all its matrix cells' }],
    options: {
      push: { type: 'boolean', describe: 'Push images to their registry' },
      load: { type: 'boolean', describe: 'Load images into the local image store' },
      set: { type: 'string', repeatable: true, describe: "Override a target value, e.g. --set '*.args.GO_IMAGE=mirror/golang:1.22'" },
      file: { type: 'string', alias: 'f', repeatable: true, describe: "Extra bake definition file, read after the generated one (e.g. docker/metadata-action's bake file)" },
      builder: { type: 'string', describe: "The buildx builder to use (default: buildx's current builder)" },
      progress: { type: 'string', choices: PROGRESS, describe: 'Progress output (default: plain, parsed for the summary)' },
      print: { type: 'boolean', describe: 'Print the resolved bake definition and build nothing' },
      cache: { type: 'boolean', default: true, describe: 'Use the build cache and the record of the last compile; --no-cache rebuilds every step and compiles the spec again' },
      pull: { type: 'boolean', describe: 'Always pull base images' },
      metadataFile: { type: 'string', describe: "Also write bake's metadata (digests) to this file" },
      sbom: { type: 'string', describe: "An SBOM attestation for every target, passed to bake's --sbom (true, false, or generator=IMAGE)" },
      provenance: { type: 'string', describe: "A provenance attestation for every target, passed to bake's --provenance (true, false, mode=min or mode=max)" },
      platform: platformOption,
      dryRun: { type: 'boolean', default: false, describe: 'Print the exact docker command and run nothing' },
      affected: { type: 'string', describe: 'Only build targets whose inputs changed since this git revision, and their dependents' },
      pushByDigest: { type: 'boolean', describe: 'CI shard: push without the final tags (by digest, or a temporary tag on the docker driver) and write a shard file for `matrix merge`' },
      shardFile: { type: 'string', describe: 'Where --push-by-digest writes its result (default: matrix-shard-PLATFORMS.json)' },
      runId: { type: 'string', describe: 'ID shared by every shard of one CI run (default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT)' },
      json: { type: 'boolean', default: false, describe: 'Print the summary as JSON' },
      keepGoing: { type: 'boolean', describe: 'When a target fails, still build every target that does not depend on it (exit code stays non-zero)' },
      retries: {
        type: 'number',
        max: 10,
        describe:
          'Run bake again up to this many times (0 to 10, default: 2) when a pull or push failed for a network or registry reason, or a cached layer the engine lost failed a target (built again without the cache); build errors are never retried',
      },
      allow: {
        type: 'string',
        repeatable: true,
        describe:
          "Grant what buildx bake's --allow grants (passed on where bake takes it): fs.read=PATH lets a secret's src outside the repository be read; also fs.write=PATH, fs=PATH (PATH may be *), network.host, security.insecure, ssh, image.push=REF, image.load=REF, image=REF",
      },
    },
    examples: [
      ['$0 bake', 'build every target and platform'],
      ['$0 bake api --platform linux/arm64', 'one service, one platform'],
      ['$0 bake --push', 'build and push all images'],
      ['$0 bake --push -f meta.json', "tags and labels from docker/metadata-action's bake file"],
      ['$0 bake --dry-run', 'show the docker command'],
      ['$0 bake --affected HEAD~1', 'only what the last commit changed, and what depends on it'],
    ],
  },
  doctor: {
    name: 'doctor',
    describe: 'Check docker, buildx, the builder, QEMU and registries for what the spec needs, with fixes',
    options: {
      builder: { type: 'string', describe: "The buildx builder to check (default: buildx's current builder)" },
      json: { type: 'boolean', default: false, describe: 'Print the checks as JSON' },
    },
  },
  init: {
    name: 'init',
    describe: 'Scan a repository for services and write a starter matrix.yaml',
    positionals: [{ name: 'dir', describe: 'Repository to scan (default: the current directory)' }],
    options: {
      dryRun: { type: 'boolean', default: false, describe: 'Print the proposed spec and write nothing' },
      registry: { type: 'string', describe: 'Image name prefix, e.g. ghcr.io/acme (default: from a GitHub `origin` remote)' },
      depth: { type: 'number', describe: 'Directory levels below DIR to look into (default: 4; 0: DIR alone)' },
    },
    examples: [
      ['$0 init --dry-run', 'see what would be written'],
      ['$0 init && $0 gen', 'start using matrix in this repository'],
    ],
  },
  'ci-matrix': {
    name: 'ci-matrix',
    describe: 'Print the jobs of a build sharded per platform or target, each with a runner: a GitHub Actions strategy.matrix (JSON), a GitLab child pipeline or a JSON plan',
    options: {
      by: { type: 'string', choices: ['platform', 'target'], default: 'platform', describe: 'One job per platform (native runners), or per target' },
      platform: { type: 'string', list: true, platform: 'filter', describe: 'Only these platforms' },
      runner: { type: 'string', repeatable: true, describe: 'Runner for a platform: PLATFORM=LABEL or PLATFORM=\'["self-hosted","arm64"]\'' },
      target: { type: 'string', list: true, describe: 'Only these targets or groups' },
      format: {
        type: 'string',
        choices: ['github', 'gitlab', 'plan'],
        default: 'github',
        describe: 'Output: github, a strategy.matrix (JSON); gitlab, a child pipeline (YAML); plan, the layered JSON plan (docs/ci-plan.md)',
      },
      layered: { type: 'boolean', default: false, describe: 'With --format github: one matrix per dependency level (levelN=JSON lines for $GITHUB_OUTPUT)' },
      // Each level is a job of the workflow run, and GitHub runs at most 256 jobs per run (docs.github.com/actions/reference/limits,
      // ci/github.ts GITHUB_MATRIX_MAX_JOBS):
      // a larger number is no workflow's, and it wrote that many `levelN=` lines (1e20 never finished).
      maxLevels: { type: 'number', min: 1, max: 256, describe: "With --layered (github format): the number of level jobs the workflow has (default: the spec's number of levels)" },
      cache: { type: 'boolean', default: true, describe: OUTPUT_CACHE },
    },
    examples: [
      ['$0 ci-matrix', 'one job per platform: strategy.matrix for GitHub Actions; see docs/github-actions.md'],
      ['$0 ci-matrix --layered --max-levels 2', 'one matrix per dependency level, as lines for $GITHUB_OUTPUT'],
      ['$0 ci-matrix --format gitlab > pipeline.yml', 'a GitLab child pipeline; see docs/gitlab-ci.md'],
      ['$0 ci-matrix --runner linux/arm64=arm-runner', 'arm64 jobs on a self-hosted runner labelled arm-runner'],
    ],
  },
  'ci-contexts': {
    name: 'ci-contexts',
    describe: "Write a bake file that pins the named contexts of the --target targets to the digests in earlier levels' shard files",
    positionals: [{ name: 'files', variadic: true, required: true, describe: 'Shard result files of the earlier levels' }],
    options: {
      target: { type: 'string', list: true, describe: 'The targets this job builds' },
      platform: { type: 'string', list: true, platform: 'filter', describe: "The platforms this job builds (default: each target's own)" },
      out: { type: 'string', default: 'matrix-contexts.json', describe: 'The bake file to write (give it to `matrix bake -f`)' },
      runId: { type: 'string', describe: 'The ID of this run: shard files of another run are refused' },
    },
    examples: [['$0 ci-contexts --target jobs shards/*.json', 'in the level-2 job that builds jobs; see docs/ci-plan.md']],
  },
  merge: {
    name: 'merge',
    describe: 'Publish the final multi-platform tags from shard result files, only if every shard built every platform',
    positionals: [{ name: 'files', variadic: true, required: true, describe: 'Shard result files, written by `matrix bake --push-by-digest`' }],
    options: {
      target: { type: 'string', list: true, describe: 'Only these targets or groups must be complete (default: every target of the spec)' },
      dryRun: { type: 'boolean', default: false, describe: 'Print the docker buildx imagetools commands and run nothing' },
      keepTempTags: { type: 'boolean', default: false, describe: 'Leave the temporary tags of docker-driver shards in the registry' },
    },
    examples: [['$0 merge shards/*.json', 'in the merge job of a workflow']],
  },
  builder: {
    name: 'builder',
    describe: "Create/update (up) or remove (rm) the multi-node buildx builder of the spec's `builders:`",
    positionals: [{ name: 'action', required: true, choices: ['up', 'rm'], describe: 'What to do: up creates or updates the builder, rm removes it' }],
    options: {
      name: { type: 'string', describe: 'Builder name (default: builders.name, else `matrix`)' },
      use: { type: 'boolean', default: false, describe: 'Also make it the current builder (docker buildx use)' },
      dryRun: { type: 'boolean', default: false, describe: 'Print the docker buildx commands and run nothing' },
    },
    examples: [
      ['$0 builder up --dry-run', 'see the docker buildx create commands'],
      ['$0 builder up && $0 bake --builder matrix', 'build each platform on its own node'],
    ],
  },
  graph: {
    name: 'graph',
    describe: 'Print the services, what each is built FROM (depends_on) and their platforms, as Mermaid or dot',
    options: {
      format: { type: 'string', choices: ['mermaid', 'dot'], default: 'mermaid', describe: 'Output format' },
      cache: { type: 'boolean', default: true, describe: OUTPUT_CACHE },
    },
    examples: [
      ['$0 graph >> docs/images.md', 'a Mermaid diagram for Markdown'],
      ['$0 graph --format dot | dot -Tsvg > graph.svg', 'render with Graphviz'],
    ],
  },
  test: {
    name: 'test',
    describe: "Run the spec's `test:` checks on images already built and pushed (each target's first tag, every platform)",
    positionals: [{ name: 'targets', variadic: true, list: true, describe: 'Targets or groups (default: all)' }],
    options: {
      platform: { type: 'string', list: true, platform: 'filter', describe: 'Only these platforms' },
    },
    examples: [['$0 test api --platform linux/arm64', "run api's checks in its pushed arm64 image"]],
  },
  verify: {
    name: 'verify',
    describe: "Rebuild targets without cache and without pushing; check each platform's image manifest digest against the pushed image",
    positionals: [{ name: 'targets', variadic: true, list: true, describe: 'Targets or groups (default: all)' }],
    options: {
      against: { type: 'string', describe: "Compare with this tag (applied to each target's first tag) or, for one target, this image reference (default: each target's first tag)" },
      metadataFile: { type: 'string', describe: 'Compare with the images recorded by `matrix bake --push --metadata-file FILE`' },
      set: { type: 'string', repeatable: true, describe: 'Override a target value, as given to `matrix bake`' },
      allow: { type: 'string', repeatable: true, describe: "Grant what buildx bake's --allow grants, as given to `matrix bake`" },
      builder: { type: 'string', describe: "The buildx builder to use (default: buildx's current builder)" },
      platform: { type: 'string', list: true, platform: 'filter', describe: 'Only these platforms' },
      progress: { type: 'string', choices: PROGRESS, describe: 'Progress output of the rebuild (default: plain)' },
      keep: { type: 'string', describe: 'Keep the rebuilt images as OCI layouts in this directory, one per target (DIR/TARGET)' },
      dryRun: { type: 'boolean', default: false, describe: 'Print the docker command of the rebuild and run nothing' },
      json: { type: 'boolean', default: false, describe: 'Print the result as JSON' },
      signatures: { type: 'boolean', describe: "Instead of rebuilding: check each target's first tag with cosign and the spec's sign.public_key" },
    },
    examples: [
      ['$0 verify', 'rebuild everything and compare with the pushed tags'],
      ['$0 verify api --against v1.4.0', 'is the api image tagged v1.4.0 what this commit builds?'],
      ['$0 verify --metadata-file build.json', 'compare with what `matrix bake --push --metadata-file build.json` pushed'],
    ],
  },
  schema: {
    name: 'schema',
    describe: 'Print the JSON Schema of matrix.yaml (for editors and CI)',
    options: {},
    readsSpec: false,
    examples: [['$0 schema > matrix.schema.json', 'save it for an editor']],
  },
  templates: {
    name: 'templates',
    describe: 'List the built-in templates and their parameters',
    positionals: [{ name: 'names', variadic: true, list: true, describe: 'Only these templates (default: all)' }],
    options: {},
    readsSpec: false,
    examples: [['$0 templates java', "the java template's platforms and parameters"]],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** Each command's typed options, by name: what its handler receives. */
export type CommandArgs = { [K in CommandName]: ArgsOf<(typeof COMMANDS)[K]> };

/** The table's commands in order, with their names typed. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** `dryRun` -> `dry-run`: the flag of a table key. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
}

/** The options a command reads: its own and the global ones. */
export function optionsOf(command: CommandSpec): [string, OptionSpec][] {
  return [...Object.entries(command.options), ...Object.entries(GLOBAL_OPTIONS)];
}

/** How --help describes an option, with the table's rule for giving it more than once. */
export function helpText(o: OptionSpec): string {
  if (o.list) return `${o.describe} (repeat or comma-separate)`;
  if (o.repeatable) return `${o.describe} (repeatable)`;
  return o.describe;
}

export const USAGE_RULES = 'An option that is not marked repeatable may be given once (switches too); an empty value is an error.';

/** A usage error: printed as every usage error is (usage-error.ts: `matrix: error in `matrix CMD`: MESSAGE [usage]`), exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function one(flag: string, o: OptionSpec, raw: unknown): string | boolean | number {
  if (Array.isArray(raw)) {
    throw new UsageError(`${flag} was given ${raw.length} times (${raw.map(shown).join(', ')}); it takes one value`, `give ${flag} once`);
  }
  if (o.type === 'boolean') {
    if (typeof raw !== 'boolean') throw new UsageError(`${flag} is a switch and takes no value ${shown(raw)}`);
    return raw;
  }
  const value = String(raw);
  if (value.trim() === '') throw new UsageError(`${flag} needs a value, and got an empty one`);
  if (o.type === 'number') return wholeNumber(flag, o, value);
  if (o.choices && !o.choices.includes(value)) throw new UsageError(`${flag} ${shown(value)}: expected one of ${o.choices.join(', ')}`);
  return value;
}

/** What a number option takes, for its usage error: `a whole number from 0 to 10`. */
export function numberRange(o: OptionSpec): string {
  const min = o.min ?? 0;
  return o.max !== undefined ? `a whole number from ${min} to ${o.max}` : min > 0 ? `a whole number, ${min} or more` : 'a whole number (0 or more)';
}

function wholeNumber(flag: string, o: OptionSpec, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < (o.min ?? 0) || (o.max !== undefined && n > o.max)) throw new UsageError(`${flag} takes ${numberRange(o)}, not ${shown(value)}`);
  return n;
}

/** `trim`: each comma-separated part without the spaces around it; platforms keep theirs, for platformValue to refuse (buildx does not trim). */
function many(flag: string, raw: unknown, split: boolean, choices?: readonly string[], trim = true): string[] {
  const given = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
  const out: string[] = [];
  for (const v of given) {
    const parts = split ? v.split(',').map((x) => (trim ? x.trim() : x)) : [v];
    for (const p of parts) {
      if (p.trim() === '') throw new UsageError(`${flag} needs a value, and got an empty one${split && given.some((g) => g.includes(',')) ? ` in ${shown(v)}` : ''}`);
      if (choices && !choices.includes(p)) throw new UsageError(`${flag} ${shown(p)}: expected one of ${choices.join(', ')}`);
      out.push(p);
    }
  }
  return out;
}

/**
 * Options given more than once in `argv` that the table says take one value
 * (switches included: `--push --no-push` is as ambiguous as two --spec).
 * Every word before `--` that starts with `-` is an option to yargs, so
 * counting them is exact; a value is never counted.
 */
export function repeatedOptions(command: CommandSpec, argv: readonly string[]): string[] {
  const byWord = new Map<string, string>();
  for (const [key, o] of optionsOf(command)) {
    byWord.set(flagName(key), key);
    byWord.set(key, key);
    if (o.alias) byWord.set(o.alias, key);
  }
  const counts = new Map<string, number>();
  const count = (word: string) => {
    const key = byWord.get(word) ?? (word.startsWith('no-') ? byWord.get(word.slice(3)) : undefined);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const a of argv) {
    if (a === '--') break;
    if (a.startsWith('--')) count(a.slice(2).split('=')[0]!);
    else if (/^-[^-\d]/.test(a)) {
      // -qs: each letter is a short option; what follows `=` is a value.
      for (const ch of a.slice(1).split('=')[0]!) count(ch);
    }
  }
  const repeated: string[] = [];
  for (const [key, n] of counts) {
    const o = command.options[key] ?? (GLOBAL_OPTIONS as Record<string, OptionSpec>)[key]!;
    if (n > 1 && !o.repeatable && !o.list) repeated.push(key);
  }
  return repeated;
}

/** A word yargs takes as the value of the option before it: not an option (`-1` is a number, `-` a word). */
const isValue = (word: string | undefined) => word !== undefined && (!word.startsWith('-') || word === '-' || /^-\d/.test(word));

/**
 * What yargs reads without a word about it, which the table's rules refuse:
 * a switch given a value other than true or false (`--check=yes` is
 * --check=false to yargs), and an option that takes a value given none
 * (yargs gives it its default: `ci-matrix --format` is --format github).
 */
export function valueProblem(command: CommandSpec, argv: readonly string[]): UsageError | undefined {
  const words = flagWords(command);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq < 0 ? word : word.slice(0, eq);
    const known = words.get(flag) ?? (flag.startsWith('-') && !flag.startsWith('--') && flag.length > 2 ? words.get(`-${flag.at(-1)}`) : undefined);
    const negated = !known && eq >= 0 && flag.startsWith('--no-') ? words.get(`--${flag.slice(5)}`) : undefined;
    if (negated?.[1].type === 'boolean') return new UsageError(`${flag} is a switch and takes no value ${shown(word.slice(eq + 1))}`, `give ${flag} or --${flag.slice(5)}`);
    if (!known) continue;
    const [key, o] = known;
    const name = `--${flagName(key)}`;
    if (o.type === 'boolean') {
      const value = eq < 0 ? undefined : word.slice(eq + 1);
      if (value !== undefined && value !== 'true' && value !== 'false') return new UsageError(`${name} is a switch and takes no value ${shown(value)}`, `give ${name} or --no-${flagName(key)}`);
    } else if (eq < 0 && !isValue(argv[i + 1])) return new UsageError(`${name} needs a value`, valueExample(name, o));
  }
  return undefined;
}

/** `e.g. --format github`: how to give an option its value, for a usage error's hint. */
export function valueExample(name: string, o: OptionSpec): string {
  if (o.choices) return `give one of ${o.choices.join(', ')}, e.g. ${name} ${o.choices[0]}`;
  if (o.type === 'number') return `give ${numberRange(o)}, e.g. ${name} ${Math.max(1, o.min ?? 0)}`;
  return `give it as ${name} VALUE or ${name}=VALUE`;
}

/**
 * What yargs parsed (camel-case keys, repeated options as arrays) -> the
 * command's options by the table's rules. Throws UsageError.
 */
export function parseArgs<C extends CommandSpec>(command: C, raw: Readonly<Record<string, unknown>>, argv: readonly string[] = []): ArgsOf<C> {
  const [twice] = repeatedOptions(command, argv);
  if (twice) throw new UsageError(`--${flagName(twice)} was given more than once; it is not repeatable`, `give --${flagName(twice)} once`);
  const problem = valueProblem(command, argv);
  if (problem) throw problem;
  const out: Record<string, unknown> = {};
  // Words after `--` (a target or directory that starts with `-`): yargs leaves them in `_`, after the command.
  const rest = Array.isArray(raw._) ? raw._.slice(1).map(String) : [];
  for (const p of command.positionals ?? []) {
    let v = raw[p.name];
    if (rest.length && p.variadic) v = [...(v === undefined ? [] : Array.isArray(v) ? v : [v]), ...rest.splice(0)];
    else if (rest.length && v === undefined) v = rest.shift();
    if (p.variadic) out[p.name] = v === undefined ? [] : many(p.name.toUpperCase(), v, Boolean(p.list), p.choices);
    else if (v !== undefined) {
      const [value] = many(p.name.toUpperCase(), v, false, p.choices);
      out[p.name] = value;
    }
  }
  if (rest.length) throw new UsageError(`unexpected argument ${shown(rest[0])}`);
  for (const [key, o] of optionsOf(command)) {
    const v = raw[key];
    const flag = `--${flagName(key)}`;
    if (v === undefined) {
      if (o.repeatable || o.list) out[key] = [];
      else if (o.default !== undefined) out[key] = o.default;
    } else if (o.repeatable || o.list) out[key] = many(flag, v, Boolean(o.list), o.choices, !o.platform).map((x) => (o.platform ? platformValue(flag, x, o.platform) : x));
    else {
      const x = one(flag, o, v);
      out[key] = o.platform && typeof x === 'string' ? platformValue(flag, x, o.platform) : x;
    }
  }
  return out as ArgsOf<C>;
}

/**
 * A platform option's value by its canonical name (OptionSpec.platform), `local`
 * and an OS alone (`linux`) on this machine's architecture (commandLinePlatform,
 * as buildx reads `--platform`). Spaces, OS versions and features are usage
 * errors (commandLinePlatformProblem); `known` refuses any other name too.
 */
function platformValue(flag: string, value: string, kind: 'filter' | 'known'): string {
  const problem = commandLinePlatformProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem.message}`, problem.hint);
  const canonical = commandLinePlatform(value);
  if (canonical !== undefined) return canonical;
  if (kind === 'filter') return value;
  const { message, hint } = platformProblem(value, (x) => closest(x, KNOWN_PLATFORMS));
  throw new UsageError(`${flag}: ${message}`, hint);
}

/** parseArgs for the command of the table named `name`: its handler's options. */
export function commandArgs<K extends CommandName>(name: K, raw: Readonly<Record<string, unknown>>, argv: readonly string[] = []): CommandArgs[K] {
  // The same object: TypeScript does not relate ArgsOf<(typeof COMMANDS)[K]> to CommandArgs[K] for a generic K.
  return parseArgs<CommandSpec>(COMMANDS[name], raw, argv) as CommandArgs[K];
}

// ---- The table's own reader of a plain invocation.

/** The words that name each option of a command (`--dry-run`, `-f`), with its key. */
export function flagWords(command: CommandSpec): Map<string, [string, OptionSpec]> {
  const words = new Map<string, [string, OptionSpec]>();
  for (const [key, o] of optionsOf(command)) {
    words.set(`--${flagName(key)}`, [key, o]);
    if (o.alias) words.set(`-${o.alias}`, [key, o]);
  }
  return words;
}

/** A value given twice or more becomes an array, as yargs collects it. */
function collect(raw: Record<string, unknown>, key: string, value: unknown): void {
  const had = raw[key];
  raw[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
}

/** The positionals of `words` as yargs names them, or undefined where yargs would report the usage error. */
function plainPositionals(command: CommandSpec, words: readonly string[]): Record<string, unknown> | undefined {
  const specs = command.positionals ?? [];
  const out: Record<string, unknown> = {};
  let rest = [...words];
  for (const p of specs) {
    if (p.choices && rest.length && !p.choices.includes(rest[0]!)) return undefined;
    if (p.variadic) {
      if (p.required && rest.length === 0) return undefined;
      out[p.name] = rest;
      rest = [];
    } else if (rest.length) out[p.name] = rest.shift();
    else if (p.required) return undefined;
  }
  return rest.length ? undefined : out;
}

/**
 * A plain invocation, read by the table: COMMAND first, then its options
 * (`--flag`, `--no-flag` for a switch, `--flag value`, `--flag=value`, `-a
 * value`) and positionals in any order. What it returns is what yargs parses
 * from the same words (the shape parseArgs reads; test/cli/options.test.ts
 * keeps the two equal), so both reach the same rules. Anything else (help,
 * --version, completion, `--`, grouped short flags, an unknown command, option
 * or extra word, a missing value or positional, a value outside its choices)
 * is undefined: yargs reads it and reports it (usage.ts).
 */
export function plainInvocation(argv: readonly string[]): { command: CommandName; raw: Record<string, unknown> } | undefined {
  const name = argv[0];
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) return undefined;
  const command: CommandSpec = COMMANDS[name as CommandName];
  const flags = flagWords(command);
  const raw: Record<string, unknown> = { _: [name] };
  const words: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) {
      words.push(word);
      continue;
    }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq < 0 ? word : word.slice(0, eq);
    const negated = flag.startsWith('--no-') ? flags.get(`--${flag.slice(5)}`) : undefined;
    if (negated?.[1].type === 'boolean' && eq < 0 && !flags.has(flag)) {
      collect(raw, negated[0], false);
      continue;
    }
    const known = flags.get(flag);
    if (!known) return undefined;
    const [key, o] = known;
    if (o.type === 'boolean') {
      if (eq >= 0) return undefined;
      collect(raw, key, true);
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('-'))) return undefined;
    if (o.choices && !o.choices.includes(value)) return undefined;
    collect(raw, key, value);
  }
  const positionals = plainPositionals(command, words);
  return positionals ? { command: name as CommandName, raw: { ...raw, ...positionals } } : undefined;
}
