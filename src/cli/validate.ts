// `matrix validate` and `matrix schema`: the spec checked, and the schema it is checked against.
import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export function runValidate(io: Io, args: CommandArgs['validate']): number {
  const loc = locateSpec(io, args.spec);
  const { spec } = compileOrThrow(loc, true, io);
  io.stdout.write(`${loc.displayName} is valid: ${spec!.services.size} services, ${spec!.targets.length} targets.\n`);
  return 0;
}

export function runSchema(io: Io): number {
  io.stdout.write(readRegularText(path.join(packageRoot(), 'schemas', 'matrix.schema.json')));
  return 0;
}
