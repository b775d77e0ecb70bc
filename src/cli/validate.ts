// `matrix validate` and `matrix schema`: the spec checked, and the schema it is checked against.
import { readRegularText } from '../fs/read.js';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { cacheEnabled, cachedValidation } from '../cache/answer.js';
import type { Io } from './io.js';
import { locateSpec } from './locate.js';
import type { CommandArgs } from './options.js';

/**
 * The spec checked. When the last up-to-date `gen` (or `gen --check`) of this
 * spec left a record that still holds in every read (src/cache/), its compile
 * checked this very spec with no diagnostic at all (validate runs the first
 * part of the same compile, src/compile.ts), so its counts are the answer;
 * likewise the record of the last `validate` that compiled. Else compile,
 * recorded, and keep the record when it said nothing but "valid".
 */
export async function runValidate(io: Io, args: CommandArgs['validate']): Promise<number> {
  const hit = cachedValidation(io, args);
  if (hit) {
    io.stdout.write(valid(hit.loc.displayName, hit.record.services, hit.record.targets));
    return 0;
  }
  const { compileOrThrow } = await import('./io.js');
  const compileSpec = (rio: Io) => {
    const loc = locateSpec(rio, args.spec);
    return { loc, spec: compileOrThrow(loc, true, rio).spec! };
  };
  // With the cache off (--no-cache, MATRIX_CACHE=0) nothing is recorded or kept (recordedWhenKept then
  // only runs the compile): the module that keeps records, and the hook's manifest with its tables, stay unloaded.
  if (!cacheEnabled(io, args)) {
    const { loc, spec } = compileSpec(io);
    io.stdout.write(valid(loc.displayName, spec.services.size, spec.targets.length));
    return 0;
  }
  const { recordedWhenKept, saveValidation } = await import('../cache/save.js');
  const { value, record } = await recordedWhenKept(io, args, compileSpec);
  const counts = { services: value.spec.services.size, targets: value.spec.targets.length };
  saveValidation(io, args.spec, value.loc, counts, record);
  io.stdout.write(valid(value.loc.displayName, counts.services, counts.targets));
  return 0;
}

function valid(displayName: string, services: number, targets: number): string {
  return `${displayName} is valid: ${services} services, ${targets} targets.\n`;
}

export function runSchema(io: Io): number {
  io.stdout.write(readRegularText(path.join(packageRoot(), 'schemas', 'matrix.schema.json')));
  return 0;
}
