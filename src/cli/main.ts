// The command line. yargs only parses; each command runs after parsing with
// the Io it is given, and heavy modules load only for the command that needs them.
import type Yargs from 'yargs';
import { UserError } from '../diagnostics.js';
import { fastSelection } from '../fast/argv.js';
import { printDiagnostics, useColor, type Io } from './io.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

interface Selected {
  command: string;
  args: Record<string, unknown>;
}

const VERSION = '0.1.0';

export function parser(yargs: typeof Yargs, argv: string[], select: (s: Selected) => void) {
  const pick = (command: string) => (args: Record<string, unknown>) => select({ command, args });
  return yargs(argv)
    .scriptName('matrix')
    .usage('$0 <command> [options]\n\nCompile matrix.yaml into Dockerfiles and a docker-bake.hcl, then build every target and platform with docker buildx bake.')
    .option('spec', { alias: 's', type: 'string', describe: 'Spec file (default: ./matrix.yaml)', global: true })
    .option('color', { type: 'boolean', describe: 'Force colours on or off (default: on for a terminal, off with NO_COLOR)', global: true })
    .command(
      'gen',
      'Write the Dockerfiles and docker-bake.hcl that the spec describes',
      (y) =>
        y
          .option('check', { type: 'boolean', default: false, describe: 'Write nothing; exit 1 and show a diff when a generated file is missing, stale or orphaned' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print nothing when successful' })
          .example('$0 gen', 'regenerate after editing matrix.yaml')
          .example('$0 gen --check', 'in pre-commit or CI: fail when committed files drift from the spec'),
      pick('gen'),
    )
    .command(
      'validate',
      'Check the spec and report every error with its file:line:column',
      (y) => y.example('$0 validate --spec services/matrix.yaml', 'validate a spec elsewhere'),
      pick('validate'),
    )
    .command(
      'plan',
      'Show every target (service x matrix cell) with platforms, tags, args and how each platform is built',
      (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output' })
          .option('build-platform', { type: 'string', describe: 'Platform of the builder (default: this machine)' })
          .option('affected', { type: 'string', describe: 'Only targets whose inputs changed since this git revision, and their dependents, with the reasons' })
          .example('$0 plan --affected origin/main', 'what a pull request would rebuild')
          .example('$0 plan', 'see which platforms cross-compile and which need QEMU')
          .example('$0 plan --json | jq ".targets[].name"', 'list target names'),
      pick('plan'),
    )
    .command(
      'bake [targets..]',
      'Build targets (default: all) for all their platforms in one docker buildx bake run',
      (y) =>
        y
          .positional('targets', { type: 'string', array: true, describe: 'Targets or groups (a service name builds all its matrix cells)' })
          .option('push', { type: 'boolean', describe: 'Push images to their registry' })
          .option('load', { type: 'boolean', describe: 'Load images into the local image store' })
          .option('set', { type: 'string', array: true, describe: 'Override a target value, e.g. --set \'*.args.GO_IMAGE=mirror/golang:1.22\'' })
          .option('builder', { type: 'string', describe: 'buildx builder to use' })
          .option('progress', { type: 'string', describe: 'Progress output: plain, tty, auto, rawjson (default: plain, parsed for the summary)' })
          .option('print', { type: 'boolean', describe: 'Print the resolved bake definition and build nothing' })
          .option('cache', { type: 'boolean', default: true, describe: 'Use the build cache; --no-cache rebuilds every step' })
          .option('pull', { type: 'boolean', describe: 'Always pull base images' })
          .option('metadata-file', { type: 'string', describe: 'Also write bake\'s metadata (digests) to this file' })
          .option('platform', { type: 'string', array: true, describe: 'Only build these platforms (repeat or comma-separate)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the exact docker command and run nothing' })
          .option('affected', { type: 'string', describe: 'Only build targets whose inputs changed since this git revision, and their dependents' })
          .option('push-by-digest', { type: 'boolean', describe: 'CI shard: push without the final tags (by digest, or a temporary tag on the docker driver) and write a shard file for `matrix merge`' })
          .option('shard-file', { type: 'string', describe: 'Where --push-by-digest writes its result (default: matrix-shard-PLATFORMS.json)' })
          .option('run-id', { type: 'string', describe: 'Id shared by every shard of one CI run (default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' })
          .example('$0 bake', 'build every target and platform')
          .example('$0 bake api --platform linux/arm64', 'one service, one platform')
          .example('$0 bake --push', 'build and push all images')
          .example('$0 bake --dry-run', 'show the docker command')
          .example('$0 bake --affected HEAD~1', 'only what the last commit changed, and what depends on it'),
      pick('bake'),
    )
    .command(
      'doctor',
      'Check docker, buildx, the builder, QEMU and registries for what the spec needs, with fixes',
      (y) =>
        y
          .option('builder', { type: 'string', describe: 'buildx builder to check' })
          .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output' }),
      pick('doctor'),
    )
    .command(
      'init [dir]',
      'Scan a repository for services and write a starter matrix.yaml',
      (y) =>
        y
          .positional('dir', { type: 'string', describe: 'Repository to scan (default: the current directory)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the proposed spec and write nothing' })
          .option('registry', { type: 'string', describe: 'Image name prefix, e.g. ghcr.io/acme (default: from a GitHub `origin` remote)' })
          .option('depth', { type: 'number', describe: 'Directory levels below DIR to look into (default: 4)' })
          .example('$0 init --dry-run', 'see what would be written')
          .example('$0 init && $0 gen', 'start using matrix in this repository'),
      pick('init'),
    )
    .command(
      'ci-matrix',
      'Print a GitHub Actions strategy.matrix (JSON) with one job per platform or target and a runner for each',
      (y) =>
        y
          .option('by', { type: 'string', choices: ['platform', 'target'], default: 'platform', describe: 'One job per platform (native runners), or per target' })
          .option('platform', { type: 'string', array: true, describe: 'Only these platforms (repeat or comma-separate)' })
          .option('runner', { type: 'string', array: true, describe: 'Runner for a platform: PLATFORM=LABEL or PLATFORM=\'["self-hosted","arm64"]\'' })
          .option('target', { type: 'string', array: true, describe: 'Only these targets or groups' })
          .example('echo "matrix=$($0 ci-matrix)" >> "$GITHUB_OUTPUT"', 'in a workflow step; see docs/github-actions.md')
          .example('$0 ci-matrix --runner linux/arm64=my-arm-runner', 'a self-hosted arm64 runner'),
      pick('ci-matrix'),
    )
    .command(
      'merge <files..>',
      'Publish the final multi-platform tags from shard result files, only if every shard built every platform',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'Shard result files (from `matrix bake --push-by-digest`)' })
          .option('target', { type: 'string', array: true, describe: 'Only these targets or groups must be complete (default: every target of the spec)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the docker buildx imagetools commands and run nothing' })
          .option('keep-temp-tags', { type: 'boolean', default: false, describe: 'Leave the temporary tags of docker-driver shards in the registry' })
          .example('$0 merge shards/*.json', 'in the merge job of a workflow'),
      pick('merge'),
    )
    .command(
      'builder <action>',
      'Create/update (up) or remove (rm) the multi-node buildx builder of the spec\'s `builders:`',
      (y) =>
        y
          .positional('action', { type: 'string', choices: ['up', 'rm'], describe: 'up: create or update; rm: remove' })
          .option('name', { type: 'string', describe: 'Builder name (default: builders.name, else `matrix`)' })
          .option('use', { type: 'boolean', default: false, describe: 'Also make it the current builder (docker buildx use)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the docker buildx commands and run nothing' })
          .example('$0 builder up --dry-run', 'see the docker buildx create commands')
          .example('$0 builder up && $0 bake --builder matrix', 'build each platform on its own node'),
      pick('builder'),
    )
    .completion('completion', 'Print a shell completion script (bash, zsh): matrix completion >> ~/.bashrc')
    .command(
      'graph',
      'Print the services, what each is built FROM (depends_on) and their platforms, as Mermaid or dot',
      (y) =>
        y
          .option('format', { choices: ['mermaid', 'dot'] as const, default: 'mermaid' as const, describe: 'Output format' })
          .example('$0 graph >> docs/images.md', 'a Mermaid diagram for Markdown')
          .example('$0 graph --format dot | dot -Tsvg > graph.svg', 'render with Graphviz'),
      pick('graph'),
    )
    .command(
      'verify [targets..]',
      'Rebuild targets without cache and without pushing; check each platform\'s image manifest digest against the pushed image',
      (y) =>
        y
          .positional('targets', { type: 'string', array: true, describe: 'Targets or groups (default: all)' })
          .option('against', { type: 'string', describe: 'Compare with this tag (applied to each target\'s first tag) or, for one target, this image reference (default: each target\'s first tag)' })
          .option('metadata-file', { type: 'string', describe: 'Compare with the images recorded by `matrix bake --push --metadata-file FILE`' })
          .option('set', { type: 'string', array: true, describe: 'Override a target value, as given to `matrix bake`' })
          .option('builder', { type: 'string', describe: 'buildx builder to use' })
          .option('platform', { type: 'string', array: true, describe: 'Only these platforms (repeat or comma-separate)' })
          .option('progress', { type: 'string', describe: 'Progress output of the rebuild: plain, tty, auto, rawjson (default: plain)' })
          .option('keep', { type: 'string', describe: 'Keep the rebuilt images as OCI layouts in DIR/TARGET' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the docker command of the rebuild and run nothing' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
          .example('$0 verify', 'rebuild everything and compare with the pushed tags')
          .example('$0 verify api --against v1.4.0', 'is the api image tagged v1.4.0 what this commit builds?')
          .example('$0 verify --metadata-file build.json', 'compare with what `matrix bake --push --metadata-file build.json` pushed'),
      pick('verify'),
    )
    .command('schema', 'Print the JSON Schema of matrix.yaml (for editors and CI)', (y) => y.example('$0 schema > matrix.schema.json', 'save it for an editor'), pick('schema'))
    .command('templates', 'List the built-in templates and their parameters', (y) => y, pick('templates'))
    .demandCommand(1, 'Tell matrix what to do: try `matrix gen`, or `matrix --help`.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .epilog('Exit codes: 0 success, 1 check or build failed, 2 invalid spec or usage, 70 internal error.\nDocs: README.md')
    .wrap(Math.min(100, process.stdout.columns || 100));
}

export async function main(argv: string[], io: Io): Promise<number> {
  // Plain `gen` / `gen --check` (pre-commit hooks) skip yargs: loading it costs more than the command.
  let selected = fastSelection(argv) as Selected | undefined;
  let parseError: Error | undefined;
  let output = '';
  try {
    if (!selected) {
      const { default: yargs } = await import('yargs');
      await parser(yargs, argv, (s) => (selected = s))
        .exitProcess(false)
        .fail((msg, err) => {
          parseError = err ?? new Error(msg);
        })
        .parseAsync(argv, {}, (_err, _args, out) => {
          output = out;
        });
    }
  } catch (e) {
    parseError ??= e as Error;
  }
  if (parseError) {
    if (output) io.stderr.write(output.trimEnd() + '\n\n');
    io.stderr.write(`matrix: ${parseError.message}\n`);
    return EXIT.usage;
  }
  if (output) io.stdout.write(output.trimEnd() + '\n');
  if (!selected) return EXIT.ok; // --help or --version
  const args = selected.args;
  const color = useColor(io, args.color as boolean | undefined);
  try {
    return await run(selected.command, args, io, color);
  } catch (e) {
    if (e instanceof UserError) {
      printDiagnostics(io, e.diagnostics, useColor({ ...io, isTTY: io.isTTY }, args.color as boolean | undefined), (e as UserError & { sources?: Map<string, string> }).sources);
      return e.exitCode;
    }
    const err = e as Error;
    io.stderr.write(`matrix: internal error: ${err?.message ?? String(e)}\nThis is a bug in matrix. Please report it with the command you ran and this trace:\n${err?.stack ?? ''}\n`);
    return EXIT.internal;
  }
}

async function run(command: string, args: Record<string, unknown>, io: Io, color: boolean): Promise<number> {
  const spec = args.spec as string | undefined;
  switch (command) {
    case 'gen': {
      const { runGen } = await import('./gen.js');
      return runGen(io, { ...(spec !== undefined ? { spec } : {}), check: Boolean(args.check), color, quiet: Boolean(args.quiet) });
    }
    case 'validate': {
      const { locateSpec, compileOrThrow } = await import('./io.js');
      const loc = locateSpec(io, spec);
      const result = compileOrThrow(loc, true, io);
      io.stdout.write(`${loc.displayName} is valid: ${result.spec!.services.size} services, ${result.spec!.targets.length} targets.\n`);
      return EXIT.ok;
    }
    case 'plan': {
      const { runPlan } = await import('./plan.js');
      const bp = args.buildPlatform as string | undefined;
      const affected = args.affected as string | undefined;
      return runPlan(io, { ...(spec !== undefined ? { spec } : {}), json: Boolean(args.json), color, ...(bp ? { buildPlatform: bp } : {}), ...(affected !== undefined ? { affected } : {}) });
    }
    case 'bake': {
      const { runBake } = await import('./bake.js');
      const list = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
      const opt = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
      return runBake(io, {
        ...opt('spec', spec),
        targets: list(args.targets),
        ...opt('affected', args.affected as string | undefined),
        ...opt('pushByDigest', args.pushByDigest as boolean | undefined),
        ...opt('shardFile', args.shardFile as string | undefined),
        ...opt('runId', args.runId as string | undefined),
        dryRun: Boolean(args.dryRun),
        json: Boolean(args.json),
        color,
        ...opt('push', args.push as boolean | undefined),
        ...opt('load', args.load as boolean | undefined),
        ...opt('set', args.set as string[] | undefined),
        ...opt('builder', args.builder as string | undefined),
        ...opt('progress', args.progress as string | undefined),
        ...opt('print', args.print as boolean | undefined),
        ...(args.cache === false ? { noCache: true } : {}),
        ...opt('pull', args.pull as boolean | undefined),
        ...opt('metadataFile', args.metadataFile as string | undefined),
        ...(list(args.platform).length ? { platforms: list(args.platform) } : {}),
      });
    }
    case 'doctor': {
      const { runDoctorCommand } = await import('./doctor.js');
      return runDoctorCommand(io, { ...(spec !== undefined ? { spec } : {}), ...(args.builder ? { builder: String(args.builder) } : {}), json: Boolean(args.json), color });
    }
    case 'init': {
      const { runInit } = await import('./init.js');
      return runInit(io, {
        ...(args.dir !== undefined ? { dir: String(args.dir) } : {}),
        dryRun: Boolean(args.dryRun),
        ...(args.registry !== undefined ? { registry: String(args.registry) } : {}),
        ...(typeof args.depth === 'number' && Number.isFinite(args.depth) ? { depth: args.depth } : {}),
        color,
      });
    }
    case 'ci-matrix': {
      const { runCiMatrix } = await import('./ci.js');
      const list = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
      return runCiMatrix(io, {
        ...(spec !== undefined ? { spec } : {}),
        by: String(args.by ?? 'platform'),
        platforms: list(args.platform),
        runners: ((args.runner as string[] | undefined) ?? []).map(String),
        targets: list(args.target),
      });
    }
    case 'merge': {
      const { runMerge } = await import('./ci.js');
      return runMerge(io, {
        ...(spec !== undefined ? { spec } : {}),
        files: ((args.files as string[] | undefined) ?? []).map(String),
        targets: ((args.target as string[] | undefined) ?? []).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean),
        dryRun: Boolean(args.dryRun),
        keepTempTags: Boolean(args.keepTempTags),
        color,
      });
    }
    case 'builder': {
      const { runBuilder } = await import('./builder.js');
      return runBuilder(io, {
        ...(spec !== undefined ? { spec } : {}),
        action: args.action === 'rm' ? 'rm' : 'up',
        ...(args.name !== undefined ? { name: String(args.name) } : {}),
        use: Boolean(args.use),
        dryRun: Boolean(args.dryRun),
        color,
      });
    }
    case 'graph': {
      const { runGraph } = await import('./graph.js');
      return runGraph(io, { ...(spec !== undefined ? { spec } : {}), format: args.format === 'dot' ? 'dot' : 'mermaid' });
    }
    case 'verify': {
      const { runVerify } = await import('./verify.js');
      const list = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
      const opt = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
      return runVerify(io, {
        ...opt('spec', spec),
        targets: list(args.targets),
        ...opt('against', args.against as string | undefined),
        ...opt('metadataFile', args.metadataFile as string | undefined),
        ...opt('set', args.set as string[] | undefined),
        ...opt('builder', args.builder as string | undefined),
        ...(list(args.platform).length ? { platforms: list(args.platform) } : {}),
        ...opt('progress', args.progress as string | undefined),
        ...opt('keep', args.keep as string | undefined),
        dryRun: Boolean(args.dryRun),
        json: Boolean(args.json),
        color,
      });
    }
    case 'schema': {
      const { readFileSync } = await import('node:fs');
      const { packageRoot } = await import('../paths.js');
      const path = await import('node:path');
      io.stdout.write(readFileSync(path.join(packageRoot(), 'schemas', 'matrix.schema.json'), 'utf8'));
      return EXIT.ok;
    }
    case 'templates': {
      const { runTemplates } = await import('./templates.js');
      return runTemplates(io, color);
    }
    default:
      throw new Error(`unhandled command ${command}`);
  }
}
