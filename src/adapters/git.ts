// The one git adapter: every git command goes through process.ts with an
// argument array, from the repository root, with the Io's environment (never
// the process's), no pager, no prompts and no locale-dependent messages.
// Two kinds of callers: `--affected` needs git and its answers (the files
// changed since a revision, a file at it) or fails with a hint; the build's
// git values (commit, tags, remote) are optional, so those queries answer
// undefined instead.
import path from 'node:path';
import { kindOf, nearestRepository, repoRootOf } from '../paths.js';
import { capture, type Captured } from './process.js';
import { diagnostic, UserError, userError } from '../diagnostics.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** git in one repository, with the environment it runs in. */
export interface Git {
  readonly repoRoot: string;
  readonly env: Env;
}

export function gitAt(repoRoot: string, env: Env): Git {
  return { repoRoot, env };
}

/** Ours win: no pager, no prompts, no locale-dependent messages (we read a few of them). */
const GIT_ENV = { GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

// A diff of a large monorepo can take longer than a version check.
const GIT_TIMEOUT_MS = 120_000;
/** One query of a build's git values (MATRIX_GIT_QUERY_TIMEOUT_MS, for tests); a version check is quick. */
const QUERY_TIMEOUT_MS = 20_000;

/**
 * Configuration a repository can carry (its .git/config is not the user's)
 * that makes a read-only git command run a program, turned off for every
 * command; a command-line `-c` wins over every configuration file
 * (git-config(1)):
 * - core.fsmonitor: a hook command that `status` and `diff` run to list
 *   changed files;
 * - core.hooksPath: `diff` against the working tree refreshes the index, and
 *   writing it runs the post-index-change hook (githooks(5));
 * - log.showSignature: `log` then runs gpg.program (or gpg.ssh.program) on a
 *   signed commit, and prints its output into ours.
 * Filter drivers (clean, smudge, process) have one name per driver, so they
 * are found and turned off where a command reads the working tree
 * (filterOverrides). External diff and textconv programs are turned off where
 * those commands run: --no-ext-diff, --no-textconv.
 */
const SAFE_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['core.fsmonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['log.showSignature', 'false'],
];
const GIT_SAFE_CONFIG = SAFE_SETTINGS.flatMap(([k, v]) => ['-c', `${k}=${v}`]);

/**
 * `env` with the same settings for the git that other programs start: buildx
 * runs git in the build context (its provenance and labels; `git status` too
 * with BUILDX_GIT_CHECK_DIRTY). GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n and
 * GIT_CONFIG_VALUE_n rank as command-line configuration (git-config(1),
 * "ENVIRONMENT", git 2.31 and later); ours, then `extra`, are added after the
 * caller's own. A count that is not a number is left alone: git refuses it itself.
 */
export function safeGitEnvironment(env: Env, extra: ReadonlyArray<readonly [string, string]> = []): Record<string, string | undefined> {
  const given = env.GIT_CONFIG_COUNT;
  if (given !== undefined && given !== '' && !/^\d{1,4}$/.test(given)) return { ...env };
  const n = given ? Number(given) : 0;
  const settings = extra.length ? [...SAFE_SETTINGS, ...extra] : SAFE_SETTINGS;
  const out: Record<string, string | undefined> = { ...env, GIT_CONFIG_COUNT: String(n + settings.length) };
  settings.forEach(([k, v], i) => {
    out[`GIT_CONFIG_KEY_${n + i}`] = k;
    out[`GIT_CONFIG_VALUE_${n + i}`] = v;
  });
  return out;
}

function run(g: Git, args: string[], timeoutMs: number, config: readonly string[] = []): Promise<Captured> {
  return capture({ file: 'git', args: [...GIT_SAFE_CONFIG, ...config, ...args], cwd: g.repoRoot, env: { ...g.env, ...GIT_ENV } }, timeoutMs);
}

/**
 * Repositories where a git query ran out of time: git blocks on something in
 * the git directory (a FIFO for HEAD or config, a hung network file system).
 * Every later query there answers undefined at once instead of waiting again.
 */
const STALLED = new Set<string>();

/** Whether a git query in `repoRoot` ran out of time in this process. */
export function gitStalled(repoRoot: string): boolean {
  return STALLED.has(repoRoot);
}

/** git's output, trimmed, or undefined when it failed or git does not answer (for values a build can do without). */
export async function gitOutput(g: Git, args: string[]): Promise<string | undefined> {
  return (await gitQuery(g, args)).output;
}

/** The same, and the spawn error when git could not be started at all (no binary on PATH: ENOENT). */
export async function gitQuery(g: Git, args: string[]): Promise<{ output?: string; spawnError?: string }> {
  if (STALLED.has(g.repoRoot)) return {};
  const r = await run(g, args, Number(g.env.MATRIX_GIT_QUERY_TIMEOUT_MS) || QUERY_TIMEOUT_MS);
  if (r.timedOut) STALLED.add(g.repoRoot);
  if (r.spawnError) return { spawnError: r.spawnError };
  return r.code === 0 ? { output: r.stdout.trim() } : {};
}

/**
 * Runs `git ARGS...` for each command in a few /bin/sh processes, each
 * running its share one after another: starting a process from Node costs
 * 6-20 ms of blocked event loop on a small VM (a fork of the whole process),
 * a shell's fork of itself well under one. Up to `parallel` shells, so a
 * slow history still has git processes side by side. Each command's arguments reach git as arguments ("$@"), never
 * as shell text: the script only counts them. Each command has the time limit
 * of one query (the shell prints as each ends). The answer per command
 * is gitOutput's (trimmed output, undefined when git failed), undefined also
 * when git printed more than one line; undefined as a whole when a shell
 * cannot be used (Windows, no /bin/sh, a stalled repository), and the caller
 * runs each command on its own.
 */
export async function gitEach(g: Git, commands: readonly string[][], parallel: number): Promise<(string | undefined)[] | undefined> {
  const answers = await gitShells(g, commands, parallel);
  return answers?.map((a) => (a !== undefined && !a.includes('\n') ? a : undefined));
}

/**
 * gitEach's commands in one shell, one after another, each answering its
 * whole output (trimmed; several lines where git printed them): for a few
 * quick reads that one Node spawn serves instead of one each (startGitInfo's
 * four). Undefined when the shell cannot be used.
 */
export function gitBatch(g: Git, commands: readonly string[][]): Promise<(string | undefined)[] | undefined> {
  return gitShells(g, commands, 1);
}

async function gitShells(g: Git, commands: readonly string[][], parallel: number): Promise<(string | undefined)[] | undefined> {
  if (process.platform === 'win32' || STALLED.has(g.repoRoot) || !commands.length) return undefined;
  const shells = Math.max(1, Math.min(parallel, commands.length));
  const shares = Array.from({ length: shells }, (_, i) => commands.filter((_c, j) => j % shells === i));
  const answers = await Promise.all(shares.map((share) => gitShell(g, share)));
  if (answers.some((a) => a === undefined)) return undefined;
  return commands.map((_c, j) => answers[j % shells]![Math.floor(j / shells)]);
}

async function gitShell(g: Git, commands: readonly string[][]): Promise<(string | undefined)[] | undefined> {
  const args = commands.flatMap((c) => [String(GIT_SAFE_CONFIG.length + c.length), ...GIT_SAFE_CONFIG, ...c]);
  const timeoutMs = Number(g.env.MATRIX_GIT_QUERY_TIMEOUT_MS) || QUERY_TIMEOUT_MS;
  const r = await capture({ file: '/bin/sh', args: ['-c', EACH_SCRIPT, 'sh', ...args], cwd: g.repoRoot, env: { ...g.env, ...GIT_ENV } }, timeoutMs, undefined, true);
  if (r.timedOut) STALLED.add(g.repoRoot);
  if (r.spawnError || r.code !== 0) return undefined;
  return eachAnswers(r.stdout, commands.length);
}

/**
 * The answers in EACH_SCRIPT's output: per command, its output's lines, each
 * after a `|`, then `= STATUS`. Undefined when the output is not exactly that
 * for `count` commands.
 */
export function eachAnswers(stdout: string, count: number): (string | undefined)[] | undefined {
  const lines = stdout.split('\n');
  if (lines.pop() !== '') return undefined;
  const answers: (string | undefined)[] = [];
  let output: string[] = [];
  for (const line of lines) {
    if (line.startsWith('|')) output.push(line.slice(1));
    else if (/^= \d{1,3}$/.test(line)) {
      answers.push(line === '= 0' ? output.join('\n').trim() : undefined);
      output = [];
    } else return undefined;
  }
  return answers.length === count && !output.length ? answers : undefined;
}

/**
 * gitEach's shell: its arguments are, per command, a count N and N arguments
 * for git. `take N ARGS...` runs git with the first N of ARGS (a function has
 * its own "$@": the first N are appended, then the originals shifted away);
 * `command git` is the program, as Node would start it, never a shell
 * function of that name a bash imports from the environment (BASH_FUNC_git%%).
 * Per command: each line of its output after a `|` (so no line of git's can
 * pass for the end of one), then `= STATUS`, its exit status. `emit` splits
 * with the shell's own pattern removal, no other process.
 */
export const EACH_SCRIPT = `nl='
'
take() {
  n=$1; shift; m=$#; i=0
  for a do
    [ "$i" -lt "$n" ] || break
    set -- "$@" "$a"; i=$((i + 1))
  done
  shift "$m"
  command git "$@"
}
emit() {
  rest=$1
  while [ -n "$rest" ]; do
    printf '|%s\n' "\${rest%%"$nl"*}"
    case $rest in *"$nl"*) rest=\${rest#*"$nl"} ;; *) rest= ;; esac
  done
}
while [ "$#" -gt 0 ]; do
  n=$1; shift
  out=$(take "$n" "$@" 2>/dev/null); s=$?
  emit "$out"
  printf '= %s\n' "$s"
  shift "$n"
done`;

/**
 * git that must work: no git or no repository is a UserError with a hint, and
 * git that does not answer in time (`quick`: a read of refs or config, the
 * time of one query; else a walk of the working tree, GIT_TIMEOUT_MS) is a
 * fault of the machine (exit 74), said as such, and not waited for again in
 * that repository. It was read as its exit code: a revision "not found", after
 * two waits of two minutes each.
 */
async function git(g: Git, args: string[], config: readonly string[] = [], quick = false): Promise<Captured> {
  const repoRoot = g.repoRoot;
  const limit = quick ? Number(g.env.MATRIX_GIT_QUERY_TIMEOUT_MS) || QUERY_TIMEOUT_MS : GIT_TIMEOUT_MS;
  if (STALLED.has(repoRoot)) throw gitStall(g, args, limit);
  const r = await run(g, args, limit, config);
  if (r.timedOut) {
    STALLED.add(repoRoot);
    throw gitStall(g, args, limit);
  }
  if (r.spawnError) {
    throw userError('git-not-found', `cannot run git: ${r.spawnError}`, { hint: 'install git and make sure it is on PATH' });
  }
  if (r.code !== 0 && /not a git repository/i.test(r.stderr)) {
    throw userError('not-a-git-repo', `${repoRoot} is not inside a git repository`, {
      hint: '--affected compares against a git revision; run it in a clone of the repository',
    });
  }
  return r;
}

function gitStall(g: Git, args: readonly string[], limitMs: number): UserError {
  return new UserError(
    [
      diagnostic({
        code: 'git-failed',
        message: `git did not answer within ${Math.round(limitMs / 1000)} s (\`git ${args[0]}\` in ${g.repoRoot}): something blocks it, such as a FIFO where a file of the git directory should be, or a network file system that hangs`,
        hint: 'run `git status` there to see it wait; remove or fix what blocks it, then run again',
      }),
    ],
    74,
  );
}

function failed(what: string, r: Captured): never {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const detail = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.pop() ?? `exit code ${r.code}`;
  throw userError('git-failed', `${what} failed: ${detail}`, { hint: 'run the same git command yourself to see the whole message' });
}

/**
 * The commit REF names, or a `unknown-ref` UserError with a hint (a shallow
 * clone is the usual reason in CI).
 */
export async function resolveRef(g: Git, ref: string): Promise<string> {
  // A ref starting with `-` would be read as an option.
  const r = ref.startsWith('-') || ref === '' ? undefined : await git(g, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], [], true);
  if (r && r.code === 0) return r.stdout.trim();
  if (!r) throw userError('unknown-ref', `\`${ref}\` is not a git revision`, { hint: 'give a branch, tag or commit, e.g. origin/main or HEAD~1' });
  // Distinguish "not a repository" (thrown by git()) from an unknown name.
  const top = await git(g, ['rev-parse', '--is-shallow-repository'], [], true);
  if (top.code !== 0) failed('git rev-parse', top);
  const shallow = top.stdout.trim() === 'true';
  throw userError('unknown-ref', `git revision \`${ref}\` not found`, {
    hint: shallow
      ? `this is a shallow clone: fetch more history (git fetch --deepen=1, or git fetch origin ${ref}), or clone with fetch-depth: 0`
      : `check the name (git log --oneline); a remote branch may need git fetch origin first`,
  });
}

/**
 * `-c` settings that turn off every filter driver the configuration defines.
 * A command that compares working-tree files with the index hashes them
 * through the `clean` (or `process`) command of the driver .gitattributes
 * names (gitattributes(5), "filter"): a repository's own config could name
 * any program. An empty command means no filter (convert.c), and
 * `required=false` lets the file pass unfiltered. A driver name `-c` cannot
 * spell (an `=` or a newline in it) is refused rather than left on.
 */
async function filterOverrides(g: Git): Promise<string[]> {
  const own = filterSettings(await filterKeys(g, 'all'));
  // git enters each checked-out repository its index holds (a submodule, or a repository added inside
  // this one) and runs `git status` there, which hashes that repository's changed files through the
  // drivers of its own config; our `-c` settings reach that git (GIT_CONFIG_PARAMETERS), so theirs
  // are turned off too. Past the bound, git is told not to look inside them at all.
  const nested = await nestedRepositories(g);
  const theirs = await Promise.all([...nested.dirs].map(async (d) => filterSettings(await filterKeys(gitAt(d, g.env), 'all'))));
  const settings = [...new Map([...own, ...theirs.flat()]).entries()];
  return [...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`]), ...(nested.complete ? [] : ['-c', 'diff.ignoreSubmodules=dirty'])];
}

/** How deep, and how many, nested repositories nestedRepositories follows. */
const NESTED_DEPTH = 4;
const NESTED_MAX = 64;

/**
 * The checked-out repositories that git, reading the working tree at `g`,
 * enters: each gitlink of its index (mode 160000: a submodule, or a
 * repository `git add` found inside it) that has a `.git`, and theirs, up to
 * NESTED_DEPTH levels and NESTED_MAX repositories (`complete` false past
 * them). `ls-files` reads the index only: it runs nothing.
 */
export async function nestedRepositories(g: Git): Promise<{ dirs: Set<string>; complete: boolean }> {
  const dirs = new Set<string>();
  let complete = true;
  const walk = async (at: Git, depth: number): Promise<void> => {
    const r = await git(at, ['ls-files', '-z', '--stage']);
    if (r.code !== 0) return;
    for (const entry of splitZ(r.stdout)) {
      if (!entry.startsWith('160000 ')) continue;
      const dir = path.join(at.repoRoot, entry.slice(entry.indexOf('\t') + 1));
      let dotGit: ReturnType<typeof kindOf> | undefined;
      try {
        dotGit = kindOf(path.join(dir, '.git'));
      } catch {
        dotGit = undefined;
      }
      if (dotGit !== 'dir' && dotGit !== 'file') continue;
      if (dirs.has(dir)) continue;
      if (depth >= NESTED_DEPTH || dirs.size >= NESTED_MAX) {
        complete = false;
        continue;
      }
      dirs.add(dir);
      await walk(gitAt(dir, at.env), depth + 1);
    }
  };
  await walk(g, 0);
  return { dirs, complete };
}

/**
 * The `filter.<driver>.<key>` keys of git's configuration at `g`: all of
 * them, or only those of the repository's own config files (`local` and
 * `worktree` scope, includes followed; `--show-scope` needs git 2.26).
 */
async function filterKeys(g: Git, scopes: 'all' | 'repository'): Promise<string[]> {
  const own = scopes === 'repository';
  const r = await git(g, ['config', '-z', '--name-only', ...(own ? ['--show-scope'] : []), '--get-regexp', '^filter\\.'], [], true);
  // Exit 1: no such key.
  if (r.code === 1 && r.stdout === '') return [];
  if (r.code !== 0) failed(own ? 'git config --show-scope (git 2.26 or later)' : 'git config', r);
  if (!own) return splitZ(r.stdout);
  // Pairs: scope, key.
  const fields = r.stdout.split('\0');
  const keys: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'local' || fields[i] === 'worktree') keys.push(fields[i + 1]!);
  return keys;
}

/** The settings that turn off the filter drivers these `filter.<driver>.<key>` keys name. */
function filterSettings(keys: readonly string[]): Array<[string, string]> {
  const drivers = new Set(keys.map((key) => key.slice('filter.'.length, key.lastIndexOf('.'))));
  const out: Array<[string, string]> = [];
  for (const d of drivers) {
    if (/[=\n]/.test(d)) {
      throw userError('git-unsafe-config', `the git configuration defines a filter driver matrix cannot turn off: ${JSON.stringify(d)}`, {
        hint: 'matrix runs no filter programs from a repository it reads; remove or rename that filter.<driver> section (git config --remove-section)',
      });
    }
    out.push([`filter.${d}.clean`, ''], [`filter.${d}.smudge`, ''], [`filter.${d}.process`, ''], [`filter.${d}.required`, 'false']);
  }
  return out;
}

/**
 * Settings that turn off the filter drivers the repository at `g` defines
 * itself: in its own config file or its worktree's (and what those include),
 * the part of git's configuration that came with the repository, not from
 * the user. For the git that buildx runs: with BUILDX_GIT_CHECK_DIRTY it runs
 * `git status` in the build context, which hashes changed files through their
 * filter's clean command. The user's own drivers (git-lfs in the global
 * config) are left on there, so that an LFS file does not read as changed.
 * Without git there is nothing to turn off: buildx cannot run it either.
 */
export async function repositoryFilterSettings(g: Git): Promise<Array<[string, string]>> {
  let keys: string[];
  try {
    keys = await filterKeys(g, 'repository');
  } catch (e) {
    if (e instanceof UserError && (e.diagnostics[0]?.code === 'git-not-found' || e.diagnostics[0]?.code === 'not-a-git-repo')) return [];
    throw e;
  }
  return filterSettings(keys);
}

/**
 * repositoryFilterSettings for every repository a build runs git in: the one
 * around `cwd` (the spec's) and the one around each build context in `dirs`.
 * buildx runs git in each context, and git reads the config of the nearest
 * repository above it: a submodule's checkout or a vendored repository with
 * a `.git` of its own has drivers of its own. A repository is asked once,
 * however many contexts it holds; the settings of all of them are merged.
 */
export async function buildFilterSettings(cwd: string, dirs: readonly string[], env: Env): Promise<Array<[string, string]>> {
  // The spec's directory as before (git there finds its repository, or GIT_DIR); a context only inside a repository.
  const repos = new Set<string>([repoRootOf(cwd)]);
  for (const dir of dirs) {
    const repo = nearestRepository(path.resolve(cwd, dir));
    if (repo !== undefined) repos.add(repo);
  }
  // And the repositories git enters from each (filterOverrides): buildx's `git status` runs theirs too.
  for (const r of [...repos]) {
    try {
      for (const d of (await nestedRepositories(gitAt(r, env))).dirs) repos.add(d);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
  }
  const all = await Promise.all([...repos].map((r) => repositoryFilterSettings(gitAt(r, env))));
  return [...new Map(all.flat()).entries()];
}

/** `a\0b\0` -> [a, b]. */
function splitZ(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}

/**
 * Repo-relative POSIX paths that differ between REF and the working tree:
 * tracked changes (staged or not, deletions included; a rename is its old and
 * its new path) plus untracked files git does not ignore. Sorted, unique.
 */
export async function changedFiles(g: Git, ref: string): Promise<string[]> {
  const commit = await resolveRef(g, ref);
  // --relative: paths relative to repoRoot even if the git worktree starts above it.
  const diff = await git(g, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', '--relative', commit, '--'], await filterOverrides(g));
  if (diff.code !== 0) failed('git diff', diff);
  const untracked = await git(g, ['ls-files', '--others', '--exclude-standard', '-z']);
  if (untracked.code !== 0) failed('git ls-files', untracked);
  // The default sort compares UTF-16 code units: what decideAffected's prefix search expects.
  return [...new Set([...splitZ(diff.stdout), ...splitZ(untracked.stdout)])].sort();
}

/** The content of a repo-relative file at REF, or undefined if it did not exist there. */
export async function showFile(g: Git, ref: string, repoRelPath: string): Promise<string | undefined> {
  const r = await git(g, ['show', '--no-textconv', `${ref}:./${repoRelPath}`]);
  if (r.code === 0) return r.stdout;
  if (/does not exist in|exists on disk, but not in/.test(r.stderr)) return undefined;
  // Unknown ref (with its hint) or some other failure.
  await resolveRef(g, ref);
  failed('git show', r);
}
