// `matrix init [DIR]`: propose a starter matrix.yaml from what the repository holds.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { writeFileExclusive } from '../fs/write.js';
import path from 'node:path';
import { compile } from '../compile.js';
import { colors, userError, visible } from '../diagnostics.js';
import { shellQuote } from '../adapters/process.js';
import { commentText, nameServices, notProposed, proposeSpec, registryFromGitConfig, registryProblem } from '../init/propose.js';
import { scanRepository } from '../init/scan.js';
import { settleProposal, type Proposal } from '../init/settle.js';
import type { Diagnostic } from '../diagnostics.js';
import { planSync } from '../output/sync.js';
import { repoRootOf, toPosix } from '../paths.js';
import { printDiagnostics, SPEC_NAMES, type Io } from './io.js';
import { readRegularText } from '../fs/read.js';
import type { CommandArgs } from './options.js';
import type { Finding } from '../init/scan.js';

type InitOptions = CommandArgs['init'];

const SCHEMA_IN_PACKAGE = 'node_modules/bake-matrix/schemas/matrix.schema.json';

export function runInit(io: Io, opts: InitOptions, color: boolean): number {
  checkRegistryOption(opts.registry);
  const { root, shown, specPath } = initTarget(io, opts);
  const found = scanOrFail(root, shown, opts.depth);
  const repoRoot = repoRootOf(root);
  const registry = opts.registry ?? registryFromGitConfig(readOr(path.join(repoRoot, '.git', 'config')));
  const displayName = toPosix(path.relative(io.cwd, specPath)) || 'matrix.yaml';
  const where = { specPath, displayName, root, repoRoot };
  const textOf = (p: Proposal) =>
    proposeSpec(p.services, { schemaRef: schemaRef(root), ...(p.registry ? { registry: p.registry } : {}), ...(p.bakeFile ? { bakeFile: p.bakeFile, bakeNote: p.bakeNote } : {}) }, [
      ...found,
      ...p.left,
    ]);
  const first: Proposal = { services: nameServices(found.filter((f) => f.kind !== 'unsupported')), left: [], ...(registry ? { registry } : {}) };
  // What matrix's own check refuses is settled (settle.ts): a proposal is never one `validate` or `gen` refuses.
  const { proposal, problems } = settleProposal(
    first,
    (p) => proposalProblems(io, { ...where, text: textOf(p) }),
    (rel) => exists(path.join(root, rel)),
    opts.registry === undefined,
  );
  const text = textOf(proposal);
  if (problems.length) return reportBug(io, displayName, text, problems, color);
  if (!proposal.services.length) scanOrFail(root, shown, opts.depth, [...found, ...proposal.left]);
  if (opts.dryRun) {
    io.stdout.write(text);
    return 0;
  }
  writeProposal(specPath, displayName, text);
  reportCreated(io, displayName, proposal.services, shown, colors(color), notProposed([...found, ...proposal.left]));
  return 0;
}

function checkRegistryOption(registry: string | undefined): void {
  if (registry === undefined) return;
  const bad = registryProblem(registry);
  if (bad) {
    throw userError('invalid-registry', `--registry ${visible(registry)} ${bad.problem}`, {
      hint: bad.suggestion ? `did you mean \`--registry ${bad.suggestion}\`?` : 'give an image name prefix such as ghcr.io/acme or localhost:5000/team',
    });
  }
}

/** The directory to scan and where its spec goes; refuses an existing spec unless this is a dry run. */
function initTarget(io: Io, opts: InitOptions): { root: string; shown: string; specPath: string } {
  const root = path.resolve(io.cwd, opts.dir ?? '.');
  const shown = toPosix(path.relative(io.cwd, root)) || '.';
  // Named as it was given (`/srv/repo`, not `../../srv/repo`).
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw userError('not-a-directory', `${opts.dir ?? shown} is not a directory`, { hint: 'give the repository to scan: `matrix init path/to/repo`' });
  const specPath = path.join(root, 'matrix.yaml');
  const existing = SPEC_NAMES.map((n) => path.join(root, n)).find((p) => existsSync(p));
  if (existing && !opts.dryRun) {
    throw userError('spec-exists', `${toPosix(path.relative(io.cwd, existing)) || path.basename(existing)} already exists; matrix init never overwrites it`, {
      hint: 'edit it (`matrix validate` checks it), or see what init would propose with `matrix init --dry-run`',
    });
  }
  return { root, shown, specPath };
}

/** The findings, when one of them is proposable; `left` instead of a scan: every service found was left out. */
function scanOrFail(root: string, shown: string, depth: number | undefined, left?: readonly Finding[]): readonly Finding[] {
  const findings = left ?? scanRepository(root, depth !== undefined ? { maxDepth: depth } : {});
  if (findings.some((f) => f.kind !== 'unsupported')) return findings;
  throw userError(
    'no-services-found',
    `found no service in ${shown}: no Dockerfile, go.mod with a main package, package.json with a start script, Cargo.toml with a binary, pyproject.toml, requirements.txt, pom.xml, composer.json, Compose file that builds, or static index.html${findings.length ? ` (${notProposed(findings).join('; ')})` : ''}`,
    {
      hint: 'write matrix.yaml by hand (README: "A spec"), or point init at the repository: `matrix init path/to/repo`',
    },
  );
}

/** The errors `matrix validate` and `matrix gen` would report for the proposal, checked with the real pipeline. */
function proposalProblems(io: Io, p: { specPath: string; displayName: string; text: string; root: string; repoRoot: string }): Diagnostic[] {
  const result = compile({ specPath: p.specPath, displayName: p.displayName, source: p.text, repoRoot: p.repoRoot, cwd: io.cwd });
  const sync = result.files && result.spec ? planSync(p.root, p.repoRoot, result.files, result.spec.bakeFile) : undefined;
  return [...result.diagnostics, ...(sync?.diagnostics ?? [])].filter((d) => d.severity === 'error');
}

/** A refusal init could not settle: its own bug, shown with the proposal. */
function reportBug(io: Io, displayName: string, text: string, problems: readonly Diagnostic[], color: boolean): number {
  io.stderr.write(text);
  printDiagnostics(io, problems, color, new Map([[displayName, text]]));
  io.stderr.write('matrix init: the proposal above does not pass `matrix validate`/`matrix gen`. This is a bug in matrix init; please report it with the list of files of the repository.\n');
  return 70;
}

/** Whether anything is at `p` (a dangling link too). */
function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Exclusive: fail instead of overwriting a spec written since the check; a failed write leaves nothing. */
function writeProposal(specPath: string, displayName: string, text: string): void {
  try {
    writeFileExclusive(specPath, text, { display: displayName });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw userError('spec-exists', `${displayName} already exists; matrix init never overwrites it`, { hint: 'edit it, or see the proposal with `matrix init --dry-run`' });
    throw e;
  }
}

function reportCreated(io: Io, displayName: string, services: ReturnType<typeof nameServices>, shown: string, c: ReturnType<typeof colors>, left: readonly string[]): void {
  io.stdout.write(`${c.green('created')} ${displayName} with ${services.length} service(s):\n`);
  for (const { name, finding: f } of services) {
    io.stdout.write(
      `  ${c.bold(name)}  ${f.kind === 'dockerfile' ? `dockerfile ${f.dockerfile}` : `template ${f.kind}`}  (${commentText(`${f.dir === '.' ? '.' : f.dir}: ${f.reason}`)})${(f.details ?? []).map((d) => `\n    ${commentText(d)}`).join('')}${f.note ? `\n    ${c.yellow('todo:')} ${commentText(f.note)}` : ''}\n`,
    );
  }
  for (const line of left) io.stdout.write(`  ${line}\n`);
  const cd = shown === '.' ? '' : `cd ${shellQuote([shown])} && `;
  io.stdout.write(`Next: ${cd}matrix gen   (writes the Dockerfiles and docker-bake.hcl; commit them with the spec)\n`);
  io.stdout.write('For editor completion from the schema: npm install --save-dev bake-matrix\n');
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
