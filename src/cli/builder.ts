// `matrix builder up|rm`: the spec's multi-node builder, created, updated or removed.
import { DEFAULT_BUILDER, builderRmCommands, builderUpCommands, parseNodeNames, resolveBuilder, type ExistingBuilder } from '../builder/builder.js';
import { colors } from '../diagnostics.js';
import { dockerEnd, dockerMissing, dockerOf, parseInspect, throwIfEnded } from '../adapters/docker.js';
import { EndedError } from '../adapters/exit.js';
import { shellQuote } from '../adapters/process.js';
import { positionOf } from '../load/load.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export async function runBuilder(io: Io, opts: CommandArgs['builder'], color: boolean): Promise<number> {
  const c = colors(color);
  const loc = locateSpec(io, opts.spec);
  const { loaded } = compileOrThrow(loc, true);
  const input = loaded.value;
  // Removing needs only the name, so it works after `builders:` was deleted from the spec.
  const builder = opts.action === 'rm' && !input.builders ? undefined : resolveBuilder(input.builders, opts.name, (at) => ({ file: loaded.file, ...positionOf(loaded, at) }));
  const name = builder?.name ?? opts.name ?? DEFAULT_BUILDER;
  const docker = dockerOf(io.env);

  const inspectArgs = ['buildx', 'inspect', name];
  const inspect = await docker.capture(inspectArgs);
  if (inspect.spawnError && !opts.dryRun) throw dockerMissing(docker, inspect.spawnError);
  // Killed, or a docker that could not run it (src/adapters/exit.ts): no answer whether the builder exists (it was "No builder named ...").
  // --dry-run goes on without docker, as for one that does not start, but not past a signal.
  const end = dockerEnd(docker, inspectArgs, inspect);
  if (end && (end.machine || !opts.dryRun)) throw new EndedError(end, `reading builder ${name}`);
  const existing: ExistingBuilder | undefined = inspect.code === 0 ? { driver: parseInspect(inspect.stdout).driver, nodes: parseNodeNames(inspect.stdout) } : undefined;

  let cmds: string[][];
  if (!builder || opts.action === 'rm') {
    if (!existing && !opts.dryRun) {
      io.stdout.write(`No builder named ${name}: nothing to remove.\n`);
      return 0;
    }
    cmds = builderRmCommands(name);
  } else cmds = builderUpCommands(builder, existing, { use: opts.use });

  if (opts.dryRun) {
    for (const args of cmds) io.stdout.write(shellQuote([docker.bin, ...args]) + '\n');
    return 0;
  }
  for (const args of cmds) {
    io.stderr.write(`+ ${shellQuote([docker.bin, ...args])}\n`);
    const r = await docker.capture(args, { timeoutMs: 5 * 60_000 });
    // Killed, or a docker that could not run it: said as that (exit 74 or 2), not as buildx refusing the command.
    throwIfEnded(docker, args, r, `${opts.action === 'rm' || !builder ? 'removing' : 'setting up'} builder ${name}`);
    if (r.code !== 0) {
      io.stderr.write(r.stderr);
      io.stderr.write(`${c.red('matrix builder: the command failed')} (exit ${r.code}); see above.\n`);
      return 1;
    }
  }
  if (!builder || opts.action === 'rm') io.stdout.write(`Removed builder ${name}.\n`);
  else {
    io.stdout.write(`${existing ? 'Updated' : 'Created'} builder ${builder.name} (driver ${builder.driver}): ${builder.nodes.map((n) => `${n.name} [${n.platforms.join(', ')}]`).join(', ')}.\n`);
    if (!opts.use) io.stdout.write(`Build with it: matrix bake --builder ${builder.name}   (or: docker buildx use ${builder.name})\n`);
  }
  return 0;
}
