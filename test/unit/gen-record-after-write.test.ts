// The record a writing `gen` keeps (src/cli/gen-run.ts recordAfterWrite) is
// built from the run's own reads and, for each file it wrote, the reads an
// up-to-date comparison makes there, noted from what was written instead of
// read back (src/output/existing.ts assumeOutputFile). It must hold what an
// up-to-date run reads: here each scenario's record after a writing `gen` is
// compared with the record an up-to-date `gen --check` keeps when it compiles
// afresh. Every read of that one must be in it, with the same answer (a read
// missing from the record would let a later change go unseen), and the next
// `gen --check` must answer from it (a wrong answer noted would only cost that).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastCacheOutcome } from '../../src/cache/answer.js';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = `version: 1
platforms: [linux/amd64, linux/arm64]
services:
  api:
    context: services/api
    template: go
    matrix:
      variant: [a, b]
    args:
      VARIANT: \${{ matrix.variant }}
  web:
    context: services/web
    template: tpl/web.Dockerfile.hbs
  jobs:
    context: services/jobs
    dockerfile: services/jobs/Dockerfile
  cells:
    context: services/cells
    template: tpl/cells.Dockerfile.hbs
    matrix:
      flavor: [one, two]
`;

function project(): string {
  return tempRepo({
    'matrix.yaml': SPEC,
    'tpl/web.Dockerfile.hbs': 'FROM scratch\nCOPY . /\n',
    // Each cell renders differently: one TARGET.Dockerfile per cell.
    'tpl/cells.Dockerfile.hbs': 'FROM scratch\nLABEL flavor={{word matrix.flavor}}\n',
    'services/api/go.mod': 'module api\n\ngo 1.22\n',
    'services/api/main.go': 'package main\nfunc main() {}\n',
    'services/web/index.html': '<p>hi</p>\n',
    'services/jobs/Dockerfile': 'FROM scratch\n',
    'services/cells/x.txt': 'x\n',
  });
}

interface RecordFile {
  outputs: string[];
  upToDate: number;
  reads: [unknown[], string][];
}

/** The one record `gen`/`gen --check` keeps in the repository's git directory. */
function checkRecord(dir: string): { file: string; record: RecordFile } {
  const names = readdirSync(path.join(dir, '.git')).filter((n) => /^matrix-check-[0-9a-f]{16}\.json$/.test(n));
  expect(names).toHaveLength(1);
  const file = path.join(dir, '.git', names[0]!);
  return { file, record: JSON.parse(readFileSync(file, 'utf8')) as RecordFile };
}

/**
 * Run a writing `gen`, then hold its record to an up-to-date run's: every
 * read of a fresh up-to-date `gen --check` is in it with the same answer, the
 * same outputs are counted, and `gen --check` answers from it.
 */
async function holdsAfterWrite(dir: string): Promise<void> {
  const gen = await matrix(['gen'], dir);
  expect(gen.stderr).toBe('');
  expect(gen.status).toBe(0);
  expect(gen.stdout).not.toMatch(/^Up to date/);
  const { file, record: written } = checkRecord(dir);

  const check = await matrix(['gen', '--check'], dir);
  expect(check.status).toBe(0);
  expect(lastCacheOutcome()).toBe('hit');

  rmSync(file);
  rmSync(file.replace(/\.json$/, '.hook'), { force: true });
  const fresh = await matrix(['gen', '--check'], dir);
  expect(fresh.status).toBe(0);
  expect(lastCacheOutcome()).toBe('miss');
  const { record: upToDate } = checkRecord(dir);

  expect(written.outputs).toEqual(upToDate.outputs);
  expect(written.upToDate).toBe(upToDate.upToDate);
  const answers = new Map(written.reads.map(([call, answer]) => [JSON.stringify(call), answer]));
  const missing = upToDate.reads.filter(([call, answer]) => answers.get(JSON.stringify(call)) !== answer);
  expect(missing).toEqual([]);
}

describe('the record a writing gen keeps', () => {
  it('after writing every file of a fresh project', async () => {
    await holdsAfterWrite(project());
  });

  it('after rewriting one Dockerfile (a template edited) and leaving the rest', async () => {
    const dir = project();
    await matrix(['gen'], dir);
    writeFileSync(path.join(dir, 'tpl/web.Dockerfile.hbs'), 'FROM scratch\nCOPY . /srv/\n');
    await holdsAfterWrite(dir);
  });

  it('after writing into directories it made (generated_dir)', async () => {
    const dir = project();
    writeFileSync(path.join(dir, 'matrix.yaml'), SPEC.replace('platforms:', 'defaults:\n  generated_dir: .matrix/out\nplatforms:'));
    await holdsAfterWrite(dir);
  });

  it('after removing the Dockerfiles of a service taken out of the spec', async () => {
    const dir = project();
    await matrix(['gen'], dir);
    writeFileSync(path.join(dir, 'matrix.yaml'), SPEC.replace(/ {2}cells:[\s\S]*$/, ''));
    await holdsAfterWrite(dir);
  });

  it('after a generated file was edited by hand and gen wrote it again', async () => {
    const dir = project();
    await matrix(['gen'], dir);
    const df = path.join(dir, 'services/api/Dockerfile');
    writeFileSync(df, `${readFileSync(df, 'utf8')}# edited\n`);
    await holdsAfterWrite(dir);
  });
});
