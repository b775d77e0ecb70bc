// Values from git that change with every commit. They never enter the
// committed bake file as text: the file reads them from bake variables
// (MATRIX_GIT_*), and `matrix bake` sets those in the environment of the
// docker process. SOURCE_DATE_EPOCH is the commit time, so timestamps in the
// images depend on the commit, not on when the build ran.
import { capture } from '../exec.js';
import { httpsSource, redactRemote } from './remote.js';

export { httpsSource, redactRemote };

export interface GitInfo {
  sha: string;
  shortSha: string;
  /** Branch name made safe for a tag: lower case, [a-z0-9._-]. Empty when detached. */
  branch: string;
  /** The tag on HEAD, if any (the first, in version order). */
  tag: string;
  semver?: { major: string; minor: string; patch: string; version: string };
  /** Commit time: seconds since the epoch, and RFC 3339. */
  epoch: string;
  created: string;
  /** https URL of the `origin` remote, credentials removed. */
  source: string;
}

export const GIT_VARIABLES = {
  'git.sha': 'MATRIX_GIT_SHA',
  'git.short_sha': 'MATRIX_GIT_SHORT_SHA',
  'git.branch': 'MATRIX_GIT_BRANCH',
  'git.tag': 'MATRIX_GIT_TAG',
  'semver.version': 'MATRIX_SEMVER_VERSION',
  'semver.major': 'MATRIX_SEMVER_MAJOR',
  'semver.minor': 'MATRIX_SEMVER_MINOR',
  'semver.patch': 'MATRIX_SEMVER_PATCH',
} as const;


export function branchSlug(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
}

export function parseSemver(tag: string): GitInfo['semver'] {
  const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/.exec(tag);
  if (!m) return undefined;
  const version = `${m[1]}.${m[2]}.${m[3]}${m[4] ? `-${m[4]}` : ''}`;
  return { major: m[1]!, minor: `${m[1]}.${m[2]}`, patch: `${m[1]}.${m[2]}.${m[3]}`, version };
}

const GIT_ENV = { LC_ALL: 'C', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' };

async function git(repoRoot: string, args: string[]): Promise<string | undefined> {
  const r = await capture({ file: 'git', args, cwd: repoRoot, env: { ...process.env, ...GIT_ENV } });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Whether `git` can be started at all (no binary on PATH: the spawn error, e.g. ENOENT). */
export async function gitAvailable(repoRoot: string): Promise<{ ok: true } | { ok: false; cause: string }> {
  const r = await capture({ file: 'git', args: ['--version'], cwd: repoRoot, env: { ...process.env, ...GIT_ENV } });
  return r.spawnError ? { ok: false, cause: r.spawnError } : { ok: true };
}

export async function readGitInfo(repoRoot: string): Promise<GitInfo | undefined> {
  const [head, branch, tags, remote] = await Promise.all([
    git(repoRoot, ['log', '-1', '--format=%H %ct']),
    git(repoRoot, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
    git(repoRoot, ['tag', '--points-at', 'HEAD', '--sort=-v:refname']),
    git(repoRoot, ['remote', 'get-url', 'origin']),
  ]);
  if (!head) return undefined;
  const [sha, epoch] = head.split(' ') as [string, string];
  const tag = (tags ?? '').split('\n').find(Boolean) ?? '';
  const semver = parseSemver(tag);
  return {
    sha,
    shortSha: sha.slice(0, 7),
    branch: branchSlug(branch ?? ''),
    tag,
    ...(semver ? { semver } : {}),
    epoch,
    created: new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
    source: remote ? httpsSource(remote) : '',
  };
}

/** The environment `matrix bake` gives docker: every MATRIX_GIT_* variable, and SOURCE_DATE_EPOCH. */
export function gitEnvironment(info: GitInfo | undefined, sourceDateEpoch?: number | false): Record<string, string> {
  const env: Record<string, string> = {
    MATRIX_GIT_SHA: info?.sha ?? '',
    MATRIX_GIT_SHORT_SHA: info?.shortSha ?? '',
    MATRIX_GIT_BRANCH: info?.branch ?? '',
    MATRIX_GIT_TAG: info?.tag ?? '',
    MATRIX_SEMVER_VERSION: info?.semver?.version ?? '',
    MATRIX_SEMVER_MAJOR: info?.semver?.major ?? '',
    MATRIX_SEMVER_MINOR: info?.semver?.minor ?? '',
    MATRIX_SEMVER_PATCH: info?.semver?.patch ?? '',
    MATRIX_GIT_SOURCE: info?.source ?? '',
    MATRIX_GIT_CREATED: info?.created ?? '',
  };
  if (sourceDateEpoch !== false) {
    const epoch = sourceDateEpoch !== undefined ? String(sourceDateEpoch) : info?.epoch;
    if (epoch) env.SOURCE_DATE_EPOCH = epoch;
  }
  return env;
}

/**
 * What `matrix bake` (and `plan`) use: values the caller's environment already
 * sets win, so CI can pin them; the rest come from git.
 */
export async function buildEnvironment(
  repoRoot: string,
  callerEnv: Readonly<Record<string, string | undefined>>,
  sourceDateEpoch?: number | false,
  onWarning?: (message: string) => void,
): Promise<Record<string, string>> {
  const available = await gitAvailable(repoRoot);
  if (!available.ok) onWarning?.(missingGitWarning(available.cause));
  const computed = gitEnvironment(available.ok ? await readGitInfo(repoRoot) : undefined, sourceDateEpoch);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(computed)) out[k] = callerEnv[k] !== undefined ? callerEnv[k]! : v;
  // A source URL the caller sets is a label too: never with credentials.
  if (out.MATRIX_GIT_SOURCE) out.MATRIX_GIT_SOURCE = redactRemote(out.MATRIX_GIT_SOURCE);
  return out;
}

export function missingGitWarning(cause: string): string {
  return `git cannot be run (${cause}): the images get no revision labels (org.opencontainers.image.revision, created, source), no git.* / semver.* values, and no SOURCE_DATE_EPOCH from the commit time; install git, or set MATRIX_GIT_* and SOURCE_DATE_EPOCH in the environment`;
}

export interface InputRevision {
  sha: string;
  epoch: string;
  created: string;
}

/**
 * The last commit that touched each target's inputs (context, Dockerfile).
 * `matrix bake` gives each target its own SOURCE_DATE_EPOCH and revision
 * labels from it, so a commit that changes one service leaves the image
 * digests of every other service unchanged.
 */
export async function inputRevisions(repoRoot: string, inputs: ReadonlyArray<{ target: string; paths: string[] }>): Promise<Map<string, InputRevision>> {
  const out = new Map<string, InputRevision>();
  const byPaths = new Map<string, string[]>();
  for (const i of inputs) {
    const key = JSON.stringify([...new Set(i.paths)].sort());
    byPaths.set(key, [...(byPaths.get(key) ?? []), i.target]);
  }
  const jobs = [...byPaths].map(([key, targets]) => async () => {
    const paths = JSON.parse(key) as string[];
    const line = await git(repoRoot, ['log', '-1', '--format=%H %ct', '--', ...paths.map((p) => `:(top,literal)${p}`)]);
    if (!line) return;
    const [sha, epoch] = line.split(' ') as [string, string];
    const rev = { sha, epoch, created: new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z') };
    for (const t of targets) out.set(t, rev);
  });
  // A few git processes at a time.
  for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((job) => job()));
  return out;
}
