// What git knows about a revision: the files changed since it and the content
// of a file at it. Every git command goes through exec.ts with an argument
// array, from the repository root, with paths made relative to that root.
import { capture, type Captured } from '../exec.js';
import { userError } from '../diagnostics.js';

// A diff of a large monorepo can take longer than a version check.
const GIT_TIMEOUT_MS = 120_000;

async function git(repoRoot: string, args: string[]): Promise<Captured> {
  // No pager, no prompts, no locale-dependent messages (we read a few of them).
  const env = { ...process.env, GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const r = await capture({ file: 'git', args, cwd: repoRoot, env }, GIT_TIMEOUT_MS);
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

function failed(what: string, r: Captured): never {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const detail = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.pop() ?? `exit code ${r.code}`;
  throw userError('git-failed', `${what} failed: ${detail}`, { hint: 'run the same git command yourself to see the whole message' });
}

/**
 * The commit REF names, or a `unknown-ref` UserError with a hint (a shallow
 * clone is the usual reason in CI).
 */
export async function resolveRef(repoRoot: string, ref: string): Promise<string> {
  // A ref starting with `-` would be read as an option.
  const r = ref.startsWith('-') || ref === '' ? undefined : await git(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (r && r.code === 0) return r.stdout.trim();
  if (!r) throw userError('unknown-ref', `\`${ref}\` is not a git revision`, { hint: 'give a branch, tag or commit, e.g. origin/main or HEAD~1' });
  // Distinguish "not a repository" (thrown by git()) from an unknown name.
  const top = await git(repoRoot, ['rev-parse', '--is-shallow-repository']);
  if (top.code !== 0) failed('git rev-parse', top);
  const shallow = top.stdout.trim() === 'true';
  throw userError('unknown-ref', `git revision \`${ref}\` not found`, {
    hint: shallow
      ? `this is a shallow clone: fetch more history (git fetch --deepen=1, or git fetch origin ${ref}), or clone with fetch-depth: 0`
      : `check the name (git log --oneline); a remote branch may need git fetch origin first`,
  });
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
export async function changedFiles(repoRoot: string, ref: string): Promise<string[]> {
  const commit = await resolveRef(repoRoot, ref);
  // --relative: paths relative to repoRoot even if the git worktree starts above it.
  const diff = await git(repoRoot, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', '--relative', commit, '--']);
  if (diff.code !== 0) failed('git diff', diff);
  const untracked = await git(repoRoot, ['ls-files', '--others', '--exclude-standard', '-z']);
  if (untracked.code !== 0) failed('git ls-files', untracked);
  // The default sort compares UTF-16 code units: what decideAffected's prefix search expects.
  return [...new Set([...splitZ(diff.stdout), ...splitZ(untracked.stdout)])].sort();
}

/** The content of a repo-relative file at REF, or undefined if it did not exist there. */
export async function showFile(repoRoot: string, ref: string, repoRelPath: string): Promise<string | undefined> {
  const r = await git(repoRoot, ['show', '--no-textconv', `${ref}:./${repoRelPath}`]);
  if (r.code === 0) return r.stdout;
  if (/does not exist in|exists on disk, but not in/.test(r.stderr)) return undefined;
  // Unknown ref (with its hint) or some other failure.
  await resolveRef(repoRoot, ref);
  failed('git show', r);
}
