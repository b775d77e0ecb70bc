// `matrix validate` and `matrix schema`: the spec checked, and the schema it is checked against.
import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { cachedRecord } from '../cache/answer.js';
import type { Io } from './io.js';
import { locateSpec } from './locate.js';
import type { CommandArgs } from './options.js';

/**
 * The spec checked. When the last up-to-date `gen` of this spec left a record
 * that still holds in every read (src/cache/), its compile checked this very
 * spec with no diagnostic at all (validate runs the first part of the same
 * compile, src/compile.ts), so its counts are the answer; else compile.
 */
export async function runValidate(io: Io, args: CommandArgs['validate']): Promise<number> {
  const hit = cachedRecord(io, args);
  if (hit) {
    io.stdout.write(valid(hit.loc.displayName, hit.record.services, hit.record.targets));
    return 0;
  }
  const { compileOrThrow } = await import('./io.js');
  const loc = locateSpec(io, args.spec);
  const { spec } = compileOrThrow(loc, true, io);
  io.stdout.write(valid(loc.displayName, spec!.services.size, spec!.targets.length));
  return 0;
}

function valid(displayName: string, services: number, targets: number): string {
  return `${displayName} is valid: ${services} services, ${targets} targets.\n`;
}

export function runSchema(io: Io): number {
  io.stdout.write(readRegularText(path.join(packageRoot(), 'schemas', 'matrix.schema.json')));
  return 0;
}
