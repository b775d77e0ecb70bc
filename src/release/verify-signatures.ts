// `matrix verify --signatures`: cosign verify, with the spec's public key and
// no transparency log, on what each target's first tag points at now.
import path from 'node:path';
import { selectTargets } from '../bake/command.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { userError } from '../diagnostics.js';
import { evalDyn } from '../dyn.js';
import { lastLine, capture } from '../adapters/process.js';
import type { Io, SpecLocation } from '../cli/io.js';
import type { ResolvedSpec } from '../spec.js';
import { endExit } from '../adapters/exit.js';
import { formatAbnormalEnd } from '../output/format.js';
import { cosignEnd, signOf, verifyArgs } from './sign.js';

export async function verifySignatures(io: Io, loc: SpecLocation, spec: ResolvedSpec, specValue: unknown, targets: readonly string[]): Promise<number> {
  const sign = signOf(specValue);
  if (!sign?.public_key)
    throw userError('verify-usage', '--signatures needs `sign.public_key` in the spec', { hint: 'add `public_key: cosign.pub` (the public half of the signing key) under `sign:`' });
  const publicKey = path.resolve(loc.specDir, sign.public_key);
  const env = await buildEnvironment(loc.repoRoot, io.env, false, spec);
  let bad = 0;
  for (const { target } of selectTargets(spec, [...targets]).targets) {
    const tag = target.tags.map((t) => evalDyn(t, env)).find((t): t is string => Boolean(t));
    if (!tag) continue;
    const args = verifyArgs(publicKey, tag);
    const r = await capture({ file: 'cosign', args, env: io.env }, 5 * 60_000);
    // Killed, or a cosign wrapper that could not run it: nothing is known of the signature (src/adapters/exit.ts).
    const end = cosignEnd(args, r);
    if (end) {
      io.stderr.write(formatAbnormalEnd(end, 'the signature check'));
      return endExit(end);
    }
    if (r.code === 0) io.stdout.write(`signed ${target.name}: ${tag}\n`);
    else {
      bad++;
      io.stdout.write(`NOT SIGNED ${target.name}: ${tag}: ${lastLine(r)}\n`);
    }
  }
  return bad ? 1 : 0;
}
