// The cache of gen's up-to-date answer (src/cache/) is safe: after any
// sequence of changes to a project (the spec, a template, a service file a
// template reads, a generated file, an unrelated file, the environment,
// matrix's own build), `gen --check` with the cache answers exactly as with
// --no-cache: same exit code, stdout and stderr, and neither writes anything
// but its record (kept only by a check that found every file up to date);
// `validate`, which answers from the same record or its own, likewise; and `plan`,
// `plan --json`, `graph` and `ci-matrix`, which keep records of their own
// output, answer as `--no-cache` does; and `bake --dry-run`, which builds from
// its record of the compile (src/cache/bake.ts), prints the same command or
// the same refusal as with MATRIX_CACHE=0.
// Issue #18: "Any cache that skips work must be proven safe: the same answer
// as a full run for every change to the spec, a template, a generated file or
// matrix itself (a property test)." Random sequences from fast-check
// (https://fast-check.dev/docs/core-blocks/arbitraries/combiners/array/).
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lastCacheOutcome } from '../../src/cache/answer.js';
import { lastBakeOutcome } from '../../src/cache/bake.js';
import { lastOutputOutcome } from '../../src/cache/output.js';
import { lastPlanOutcome } from '../../src/cache/plan.js';
import { setIdentityForTests } from '../../src/cache/record.js';
import { tempDirOf } from '../../src/fs/temp.js';
import { apply, change, project } from '../helpers/cache-changes.js';
import { matrix, runEnv } from '../helpers/cli.js';
import { hashTreeButRecords, listTree, recordsIn, removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);
afterEach(() => setIdentityForTests(undefined));

/** The tree but the output records (`.git/matrix-{plan,graph,ci-matrix}-HASH.json`, src/cache/output.ts), which plan, graph and ci-matrix may write. */
const withoutOutputRecords = (tree: Map<string, string>) => [...tree].filter(([name]) => !/(^|\/)\.git\/matrix-(plan|graph|ci-matrix)-[0-9a-f]{16}\.json$/.test(name));

/** Whether the temp dir of `env` is absolute: bake's record has a private directory there (src/cache/store.ts). */
const privateDirFor = (env: Record<string, string>) => path.isAbsolute(tempDirOf(runEnv(env)));

describe('gen --check, validate, plan and bake with the cache answer as a full run, after any changes', () => {
  it('same exit code, stdout, stderr and files as --no-cache, for random sequences of changes', async () => {
    let hits = 0;
    let planHits = 0;
    let outputHits = 0;
    let bakeHits = 0;
    let checks = 0;
    await fc.assert(
      // The first records come from `gen`, or (as in a fresh clone, where no gen ran) from the first up-to-date `gen --check` and `validate`.
      fc.asyncProperty(fc.boolean(), fc.array(change, { minLength: 1, maxLength: 5 }), async (genFirst, changes) => {
        setIdentityForTests('v1');
        const dir = project();
        const env: Record<string, string> = {};
        expect((await matrix(genFirst ? ['gen'] : ['gen', '--no-cache'], dir, env)).status).toBe(0);
        for (const c of changes) {
          await apply(dir, env, c);
          const before = hashTreeButRecords(dir);
          const recordsBefore = recordsIn(dir);
          const cached = await matrix(['gen', '--check'], dir, env);
          if (lastCacheOutcome() === 'hit') hits++;
          checks++;
          const full = await matrix(['gen', '--check', '--no-cache'], dir, env);
          expect({ status: cached.status, stdout: cached.stdout, stderr: cached.stderr }, JSON.stringify([genFirst, changes])).toEqual({
            status: full.status,
            stdout: full.stdout,
            stderr: full.stderr,
          });
          // Nothing but the record, and that only from a check that found every file up to date.
          expect(hashTreeButRecords(dir), 'gen --check wrote something').toBe(before);
          if (cached.status !== 0) expect(recordsIn(dir), 'a failed gen --check kept a record').toEqual(recordsBefore);
          // validate answers from the same record (src/cli/validate.ts), or from its own.
          const recordsBeforeValidate = recordsIn(dir);
          const validate = await matrix(['validate'], dir, env);
          const validateFull = await matrix(['validate', '--no-cache'], dir, env);
          expect(validate, JSON.stringify(changes)).toEqual(validateFull);
          expect(hashTreeButRecords(dir), 'validate wrote something').toBe(before);
          if (validate.status !== 0) expect(recordsIn(dir), 'a failed validate kept a record').toEqual(recordsBeforeValidate);
          // plan, graph and ci-matrix answer from records of their own, one for each output (src/cache/output.ts).
          const beforeTree = listTree(dir);
          for (const json of [[], ['--json']]) {
            const plan = await matrix(['plan', ...json], dir, env);
            if (lastPlanOutcome() === 'hit') planHits++;
            const planFull = await matrix(['plan', ...json, '--no-cache'], dir, env);
            expect(plan, `plan ${json.join(' ')} ${JSON.stringify(changes)}`).toEqual(planFull);
          }
          for (const args of [['graph'], ['graph', '--format', 'dot'], ['ci-matrix'], ['ci-matrix', '--format', 'plan'], ['ci-matrix', '--by', 'target']]) {
            const out = await matrix(args, dir, env);
            if (lastOutputOutcome() === 'hit') outputHits++;
            const outFull = await matrix([...args, '--no-cache'], dir, env);
            expect(out, `${args.join(' ')} ${JSON.stringify(changes)}`).toEqual(outFull);
          }
          expect(withoutOutputRecords(listTree(dir)), 'plan, graph or ci-matrix wrote something besides their records').toEqual(withoutOutputRecords(beforeTree));
          // bake builds from its record of the compile (src/cache/bake.ts): the same command, or the same refusal, as after a compile.
          const bake = await matrix(['bake', '--dry-run'], dir, env);
          const bakeOutcome = lastBakeOutcome();
          if (bakeOutcome === 'hit') bakeHits++;
          const bakeFull = await matrix(['bake', '--dry-run'], dir, { ...env, MATRIX_CACHE: '0' });
          expect(bake, `bake --dry-run ${JSON.stringify(changes)}`).toEqual(bakeFull);
          // A bake that found the files current left its record: the next one answers from it, alike. (Where the temp
          // dir is a relative path, a TMPDIR change of the sequence, there is no private directory for it: src/cache/store.ts.)
          if (bake.status === 0 && bakeOutcome !== 'off' && privateDirFor(env)) {
            const again = await matrix(['bake', '--dry-run'], dir, env);
            expect(lastBakeOutcome(), `bake --dry-run again ${JSON.stringify(changes)}`).toBe('hit');
            expect(again, `bake --dry-run again ${JSON.stringify(changes)}`).toEqual(bakeFull);
            bakeHits++;
          }
          expect(withoutOutputRecords(listTree(dir)), 'bake --dry-run wrote something in the repository').toEqual(withoutOutputRecords(beforeTree));
        }
        // Whatever the sequence did, a gen that succeeds leaves records every command answers from, nothing changed since;
        // plan, graph and ci-matrix answer from theirs the second time. MATRIX_CACHE=0 (one of the env changes) turns it off.
        if ((await matrix(['gen'], dir, env)).status !== 0) return;
        // Every record reads this user's seal, in the private directory (src/cache/store.ts sealPath): where the temp
        // dir is a relative path there is none, and no record is used, gen's and plan's included.
        const expected = /^(0|false|no|off)$/.test(env.MATRIX_CACHE?.trim().toLowerCase() ?? '') ? 'off' : privateDirFor(env) ? 'hit' : 'miss';
        const said = JSON.stringify([genFirst, changes]);
        await matrix(['gen', '--check'], dir, env);
        expect(lastCacheOutcome(), `gen --check right after gen, ${said}`).toBe(expected);
        await matrix(['validate'], dir, env);
        expect(lastCacheOutcome(), `validate right after gen, ${said}`).toBe(expected);
        for (const args of [['plan'], ['graph'], ['ci-matrix']]) {
          await matrix(args, dir, env);
          await matrix(args, dir, env);
          expect(args[0] === 'plan' ? lastPlanOutcome() : lastOutputOutcome(), `${args[0]} run twice after gen, ${said}`).toBe(expected);
        }
        await matrix(['bake', '--dry-run'], dir, env);
        await matrix(['bake', '--dry-run'], dir, env);
        expect(lastBakeOutcome(), `bake --dry-run run twice after gen, ${said}`).toBe(expected === 'hit' && !privateDirFor(env) ? 'miss' : expected);
      }),
      { numRuns: 40 },
    );
    // The property means something only if the cache was used after changes too: most sequences keep some answers
    // cached (the runs right after the last gen, above, are not counted).
    expect(hits).toBeGreaterThan(checks / 10);
    expect(planHits).toBeGreaterThan(checks / 10);
    expect(outputHits).toBeGreaterThan(checks / 10);
    expect(bakeHits).toBeGreaterThan(checks / 10);
  }, 600_000);
});
