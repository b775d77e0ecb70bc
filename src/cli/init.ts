// `matrix init [DIR]`: propose a starter matrix.yaml from what the repository holds.
import { existsSync, statSync } from 'node:fs';
import { writeFileExclusive } from '../fs/write.js';
import path from 'node:path';
import { compile } from '../compile.js';
import { colors, userError, visible } from '../diagnostics.js';
import { shellQuote } from '../adapters/process.js';
import { nameServices, proposeSpec, registryFromGitConfig, registryProblem } from '../init/propose.js';
import { scanRepository } from '../init/scan.js';
import { planSync } from '../output/sync.js';
import { repoRootOf, toPosix } from '../paths.js';
import { printDiagnostics, SPEC_NAMES, type Io } from './io.js';
import { readRegularText } from '../fs/read.js';
import type { CommandArgs } from './options.js';

type InitOptions = CommandArgs['init'];

const SCHEMA_IN_PACKAGE = 'node_modules/bake-matrix/schemas/matrix.schema.json';

export function runInit(io: Io, opts: InitOptions, color: boolean): number {
  const c = colors(color);
  if (opts.registry !== undefined) {
    const bad = registryProblem(opts.registry);
    if (bad) {
      throw userError('invalid-registry', `--registry ${visible(opts.registry)} ${bad.problem}`, {
        hint: bad.suggestion ? `did you mean \`--registry ${bad.suggestion}\`?` : 'give an image name prefix such as ghcr.io/acme or localhost:5000/team',
      });
    }
  }
  const root = path.resolve(io.cwd, opts.dir ?? '.');
  const shown = toPosix(path.relative(io.cwd, root)) || '.';
  if (!existsSync(root) || !statSync(root).isDirectory()) throw userError('not-a-directory', `${shown} is not a directory`, { hint: 'give the repository to scan: `matrix init path/to/repo`' });
  const specPath = path.join(root, 'matrix.yaml');
  const existing = SPEC_NAMES.map((n) => path.join(root, n)).find((p) => existsSync(p));
  if (existing && !opts.dryRun) {
    throw userError('spec-exists', `${toPosix(path.relative(io.cwd, existing)) || path.basename(existing)} already exists; matrix init never overwrites it`, {
      hint: 'edit it (`matrix validate` checks it), or see what init would propose with `matrix init --dry-run`',
    });
  }

  const findings = scanRepository(root, opts.depth !== undefined ? { maxDepth: opts.depth } : {});
  if (!findings.length) {
    throw userError(
      'no-services-found',
      `found no service in ${shown}: no Dockerfile, go.mod with a main package, package.json with a start script, Cargo.toml, pyproject.toml, requirements.txt or static index.html`,
      {
        hint: 'write matrix.yaml by hand (README: "A spec"), or point init at the repository: `matrix init path/to/repo`',
      },
    );
  }
  const services = nameServices(findings);
  const repoRoot = repoRootOf(root);
  const registry = opts.registry ?? registryFromGitConfig(readOr(path.join(repoRoot, '.git', 'config')));
  const text = proposeSpec(services, { schemaRef: schemaRef(root), ...(registry ? { registry } : {}) });

  // The proposal must validate and generate as it is: check with the real pipeline before showing it.
  const displayName = toPosix(path.relative(io.cwd, specPath)) || 'matrix.yaml';
  const result = compile({ specPath, displayName, source: text, repoRoot, cwd: io.cwd });
  const sync = result.files && result.spec ? planSync(root, repoRoot, result.files, result.spec.bakeFile) : undefined;
  const problems = [...result.diagnostics, ...(sync?.diagnostics ?? [])].filter((d) => d.severity === 'error');
  if (problems.length) {
    io.stderr.write(text);
    printDiagnostics(io, problems, color, new Map([[displayName, text]]));
    io.stderr.write('matrix init: the proposal above does not pass `matrix validate`/`matrix gen`. This is a bug in matrix init; please report it with the list of files of the repository.\n');
    return 70;
  }

  if (opts.dryRun) {
    io.stdout.write(text);
    return 0;
  }
  try {
    // Exclusive: fail instead of overwriting a spec written since the check above; a failed write leaves nothing.
    writeFileExclusive(specPath, text, { display: displayName });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw userError('spec-exists', `${displayName} already exists; matrix init never overwrites it`, { hint: 'edit it, or see the proposal with `matrix init --dry-run`' });
    throw e;
  }
  io.stdout.write(`${c.green('created')} ${displayName} with ${services.length} service(s):\n`);
  for (const { name, finding: f } of services) {
    io.stdout.write(
      `  ${c.bold(name)}  ${f.kind === 'dockerfile' ? `dockerfile ${f.dockerfile}` : `template ${f.kind}`}  (${f.dir === '.' ? '.' : f.dir}: ${f.reason})${f.note ? `\n    ${c.yellow('todo:')} ${f.note}` : ''}\n`,
    );
  }
  const cd = shown === '.' ? '' : `cd ${shellQuote([shown])} && `;
  io.stdout.write(`Next: ${cd}matrix gen   (writes the Dockerfiles and docker-bake.hcl; commit them with the spec)\n`);
  io.stdout.write('For editor completion from the schema: npm install --save-dev bake-matrix\n');
  return 0;
}

function readOr(file: string): string {
  try {
    return readRegularText(file);
  } catch {
    return '';
  }
}

/** The schema of an installed bake-matrix in the spec's directory or above, else where `npm install` will put it. */
function schemaRef(specDir: string): string {
  for (let dir = specDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, SCHEMA_IN_PACKAGE))) return toPosix(path.relative(specDir, path.join(dir, SCHEMA_IN_PACKAGE)));
    if (path.dirname(dir) === dir) return SCHEMA_IN_PACKAGE;
  }
}
