// Row 6 of `npm run bench`: each pre-commit hook the README documents, run by
// pre-commit itself (`pre-commit run HOOK --files matrix.yaml` in an up-to-date
// copy of samples/monorepo), against a no-op `language: system` hook run the
// same way. What a user waits for at `git commit` is pre-commit's own start-up
// plus the hook; the no-op hook is that start-up alone. CPU time (user + sys of
// pre-commit and the hook it waits for), as every start-up row, with wall time
// beside it. Where the time goes: a `language: system` hook that only starts
// Node (`node -e 0`) is the floor of any hook written in JavaScript; the shipped
// `language: node` hooks against the README's `language: system` recipe (the
// same bin) is pre-commit's own work per node hook (its health check runs
// `node --version` in the hook's environment on every run).
//
// The shipped hooks (.pre-commit-hooks.yaml, `language: node`) come from a git
// repository holding this working tree, as a user's `repo:` would point at it;
// pre-commit installs them once with npm (dependencies from the npm registry),
// before anything is timed. The `repo: local` recipe is read from the README.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const GIT_ENV = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com', GIT_CONFIG_NOSYSTEM: '1' };

function sh(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r;
}

/** A git repository with this project's working tree (tracked and untracked, not ignored), committed. */
function hookRepository(root, dir) {
  mkdirSync(dir, { recursive: true });
  const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).stdout.split('\0').filter(Boolean);
  for (const rel of files) {
    const src = path.join(root, rel);
    if (!existsSync(src) || lstatSync(src).isDirectory()) continue;
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    cpSync(src, path.join(dir, rel), { verbatimSymlinks: true });
  }
  sh('git', ['init', '-q'], dir);
  sh('git', ['add', '-A'], dir);
  sh('git', ['commit', '-q', '-m', 'bake-matrix working tree'], dir);
  return sh('git', ['rev-parse', 'HEAD'], dir).stdout.trim();
}

/** The README's `repo: local` hook, as written there. */
function readmeLocalHook(root) {
  const blocks = [...readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  const local = blocks.find((b) => b.includes('- repo: local'));
  if (!local) throw new Error('README has no `repo: local` pre-commit recipe');
  return local.replace(/^repos:\n/, '');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const HOOKS = [
  { id: 'matrix-gen-check', name: 'shipped `matrix-gen-check` (language: node)' },
  { id: 'matrix-gen', name: 'shipped `matrix-gen` (language: node)' },
  { id: 'local-matrix-gen-check', name: "README's `repo: local` recipe (`node_modules/bake-matrix/bin/matrix-hook gen --check`)" },
];
/** Measured beside the hooks, not a documented hook: what starting Node alone costs through pre-commit. */
const FLOOR = { id: 'node-floor', name: '`node -e 0` as a `language: system` hook (the floor of any Node hook)' };

/** CPU ms (user + sys of the command and the children it waited for) and wall ms of one run; it must exit 0. */
function cpuRun(cmd, args, cwd, env) {
  const t = performance.now();
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; rc=$?; times; exit $rc', 'bench', cmd, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...env } });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status} in ${cwd}`);
  const secs = [
    ...r.stdout
      .trim()
      .split('\n')
      .at(-1)
      .matchAll(/(\d+)m([\d.]+)s/g),
  ].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { cpu: (secs[0] + secs[1]) * 1000, wall };
}

/** Interleaved rounds (the order reversed every other round, so each hook shares the load); CPU and wall ms per hook id. */
function hookRounds(ids, rounds, repoOf, env) {
  const cpu = Object.fromEntries(ids.map((k) => [k, []]));
  const wall = Object.fromEntries(ids.map((k) => [k, []]));
  // One untimed run of each first: what a user's second commit finds (a gen that ran, a record kept).
  for (const k of ids) cpuRun('pre-commit', ['run', k, '--files', 'matrix.yaml'], repoOf(k), env);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? [...ids].reverse() : ids;
    for (const k of order) {
      const r = cpuRun('pre-commit', ['run', k, '--files', 'matrix.yaml'], repoOf(k), env);
      cpu[k].push(r.cpu);
      wall[k].push(r.wall);
    }
  }
  return { cpu, wall };
}

/** Row 6: one ratio per documented hook, each the median of per-round ratios against the no-op hook. */
export function rowHooks({ root, work, quick, log }) {
  const rounds = quick ? 7 : 15;
  const hookRepo = path.join(work, 'hook-repo');
  const rev = hookRepository(root, hookRepo);
  // Two users' repositories: one with the shipped hooks, one with the README's local recipe. Each
  // keeps the record of the matrix its hook runs (the shipped hooks run pre-commit's own install of
  // bake-matrix, another build than the local one), as a user with one of them does.
  const repo = path.join(work, 'hooks-user');
  const localRepo = path.join(work, 'hooks-local');
  const files = "'(^|/)(matrix\\.ya?ml|[^/]*\\.hcl|[^/]*[Dd]ockerfile[^/]*|[^/]*\\.hbs)$'";
  const local = readmeLocalHook(root).replace('id: matrix-gen-check', 'id: local-matrix-gen-check');
  const config = [
    'repos:',
    `  - repo: ${hookRepo}`,
    `    rev: ${rev}`,
    '    hooks:',
    '      - id: matrix-gen-check',
    '      - id: matrix-gen',
    local.trimEnd(),
    '  - repo: local',
    '    hooks:',
    '      - id: noop',
    '        name: no-op',
    '        entry: "true"',
    '        language: system',
    '        pass_filenames: false',
    `        files: ${files}`,
    `      - id: ${FLOOR.id}`,
    '        name: node -e 0',
    '        entry: node -e 0',
    '        language: system',
    '        pass_filenames: false',
    `        files: ${files}`,
    '',
  ].join('\n');
  const env = { PRE_COMMIT_HOME: path.join(work, 'pre-commit-home') };
  for (const dir of [repo, localRepo]) userRepo(root, dir, config);
  log('row 6: pre-commit installs the shipped hooks (npm, once)');
  sh('pre-commit', ['install-hooks'], repo, env);
  const ids = ['noop', FLOOR.id, ...HOOKS.map((h) => h.id)];
  log(`row 6: ${rounds} interleaved rounds of pre-commit run (${ids.join(', ')})`);
  const m = hookRounds(ids, rounds, (k) => (k === 'local-matrix-gen-check' ? localRepo : repo), env);
  return hooksResult(m, rounds, rev);
}

/** A copy of samples/monorepo in its own committed repository, with bake-matrix "installed" (the bin the local recipe calls) and `gen` run there. */
function userRepo(root, repo, config) {
  cpSync(path.join(root, 'samples', 'monorepo'), repo, { recursive: true });
  mkdirSync(path.join(repo, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(root, path.join(repo, 'node_modules', 'bake-matrix'));
  symlinkSync('../bake-matrix/bin/matrix.cjs', path.join(repo, 'node_modules', '.bin', 'matrix'));
  writeFileSync(path.join(repo, '.pre-commit-config.yaml'), config);
  writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  sh(process.execPath, [path.join(root, 'bin', 'matrix.cjs'), 'gen', '--quiet'], repo);
  sh('git', ['init', '-q'], repo);
  sh('git', ['add', '-A'], repo);
  sh('git', ['commit', '-q', '-m', 'sample'], repo);
  // As the user's last `matrix gen`: now inside the repository, so its record is in .git.
  sh(process.execPath, [path.join(root, 'bin', 'matrix.cjs'), 'gen', '--quiet'], repo);
}

/** Row 6's figure and table: each ratio the median of the per-round CPU ratios against the no-op hook. */
function hooksResult(m, rounds, rev) {
  const ratios = (k, of = m.cpu) => of[k].map((w, i) => w / of.noop[i]);
  const fmt = (x) => x.toFixed(2);
  const goal = 1.3;
  const worst = Math.max(...HOOKS.map((h) => median(ratios(h.id))));
  const row = (h) =>
    `| ${h.name} | ${median(m.cpu[h.id]).toFixed(0)} | ${fmt(median(ratios(h.id)))} | ${fmt(Math.min(...ratios(h.id)))}-${fmt(Math.max(...ratios(h.id)))} | ${median(m.wall[h.id]).toFixed(0)} | ${fmt(median(ratios(h.id, m.wall)))} |`;
  return {
    id: 6,
    name: 'pre-commit hooks, through `pre-commit run`',
    figure: `${HOOKS.map((h) => `${h.id === 'local-matrix-gen-check' ? 'local recipe' : h.id} ${fmt(median(ratios(h.id)))}x`).join(', ')} (no-op hook ${median(m.cpu.noop).toFixed(0)} ms CPU; \`node -e 0\` hook ${fmt(median(ratios(FLOOR.id)))}x)`,
    goal: `<= ${goal} each`,
    met: worst <= goal,
    commands: [...HOOKS.map((h) => `pre-commit run ${h.id} --files matrix.yaml`), 'pre-commit run noop --files matrix.yaml', `pre-commit run ${FLOOR.id} --files matrix.yaml`],
    details: [
      `CPU time (user + sys of pre-commit and the hook it runs) of \`pre-commit run HOOK --files matrix.yaml\` in an up-to-date copy of samples/monorepo (its own repository for the local recipe, where the local \`matrix gen\` ran last; the shipped hooks' own install left its record in the untimed first run of each hook), ${rounds} interleaved rounds (the order reversed every other round); each ratio is the median of the per-round ratios against a no-op \`language: system\` hook (\`entry: "true"\`) with the same \`files\` filter. Wall time beside it. The shipped hooks come from a git repository of this working tree at ${rev.slice(0, 12)}, installed by pre-commit with npm before timing. The \`node -e 0\` hook is no documented hook: it shows what starting Node alone adds through pre-commit, the floor under any hook written in JavaScript; a documented hook can only meet the goal where that floor is well under it. The shipped \`language: node\` hooks against the \`language: system\` recipe (the same bin) is pre-commit's own work per node hook.`,
      '',
      '| hook | CPU ms (median) | x no-op hook (median) | spread of the ratios | wall ms (median) | wall x no-op |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      row({ id: 'noop', name: 'no-op `language: system` hook' }),
      row(FLOOR),
      ...HOOKS.map(row),
    ],
  };
}
