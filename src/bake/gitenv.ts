// Values from git that change with every commit. They never enter the
// committed bake file as text: the file reads them from bake variables
// (MATRIX_GIT_*), and `matrix bake` sets those in the environment of the
// docker process. SOURCE_DATE_EPOCH is the commit time, so timestamps in the
// images depend on the commit, not on when the build ran.
import { gitAt, gitBatch, gitEach, gitOutput as git, gitQuery, type Env, type Git } from '../adapters/git.js';
import { lazyImport } from '../lazy.js';
import { httpsSource, redactRemote } from './remote.js';
import { literalRegExp } from '../regexp.js';
import { diagnostic, UserError } from '../diagnostics.js';

const semver = lazyImport(() => import('./semver.js'));

export { httpsSource, redactRemote };

export interface GitInfo {
  sha: string;
  shortSha: string;
  /** Branch name made safe for a tag: lower case, [a-z0-9._-]. Empty when detached. */
  branch: string;
  /** The tag on HEAD, if any (headTag: the highest version, else the newest), made safe for an image tag (tagSlug). */
  tag: string;
  semver?: SemverInfo;
  /** Every tag on HEAD (for per-service versions, see `version_tags`). */
  tags?: string[];
  /** Commit time: seconds since the epoch, and RFC 3339. */
  epoch: string;
  created: string;
  /** https URL of the `origin` remote, credentials removed; empty for a remote that names no host (httpsSource). */
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

/**
 * A branch name made safe for an image tag: made safe as tagSlug makes a tag
 * (docker/metadata-action's `sanitizeTag`), then lower case (matrix's own
 * rule, README "Where matrix differs"). In that order, so only ASCII letters
 * change case: `Kelvin-\u212A` (KELVIN SIGN) is `kelvin--`, not `kelvin-k`.
 */
export function branchSlug(branch: string): string {
  return tagSlug(branch).toLowerCase();
}

/**
 * A git tag made safe for an image tag, as docker/metadata-action makes every
 * tag it derives from a ref (src/meta.ts `sanitizeTag`: each run of
 * characters other than letters, digits, `.`, `_` and `-` becomes one `-`;
 * case is kept): `v1.2.3+build.5` is `v1.2.3-build.5`, `release/1.0` is
 * `release-1.0`. A tag may not start with `.` or `-` (the distribution
 * reference grammar, `[\w][\w.-]{0,127}`), so those go: metadata-action keeps
 * them, and a tag that is the value alone is then refused. Nothing is cut:
 * two long branches cut to one length would share (and overwrite) one image
 * tag; a tag over 128 characters is refused before the build instead
 * (src/dyn.ts overlongTags, from `matrix bake`).
 */
export function tagSlug(tag: string): string {
  return tag.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
}

/**
 * A version as docker/metadata-action's `type=semver` names its parts
 * (src/meta.ts `procSemver`, with the `semver` package): `version` is the
 * version without a leading `v`, pre-release included (`2.0.0-rc.1`);
 * `major`, `minor`, `patch` are one component each.
 */
export interface SemverInfo {
  version: string;
  major: string;
  minor: string;
  patch: string;
  prerelease: boolean;
}

export function parseSemver(tag: string): SemverInfo | undefined {
  // metadata-action's procSemver reads `/` as `-` before it parses: `1.2.3-rc/1` is 1.2.3-rc-1.
  const v = semver().parse(tag.replace(/\//g, '-'));
  if (!v) return undefined;
  return { version: v.version, major: String(v.major), minor: String(v.minor), patch: String(v.patch), prerelease: v.prerelease.length > 0 };
}

/**
 * The bake variables of the semver values. `${{ semver.major }}`, `.minor` and
 * `.patch` in a tag read the STABLE ones, empty for a pre-release: a
 * pre-release never moves a floating tag (metadata-action leaves its major
 * and minor patterns out for a pre-release), while args and labels keep the
 * components. With `version_tags`, each service reads its own variables.
 */
export function semverVariables(scope: 'tag' | 'value', service?: string): Record<string, string> {
  const sfx = service === undefined ? '' : `__${serviceVarSuffix(service)}`;
  const part = (p: 'MAJOR' | 'MINOR' | 'PATCH') => (scope === 'tag' ? `MATRIX_SEMVER_STABLE_${p}${sfx}` : `MATRIX_SEMVER_${p}${sfx}`);
  return {
    'semver.version': `MATRIX_SEMVER_VERSION${sfx}`,
    'semver.major': part('MAJOR'),
    'semver.minor': part('MINOR'),
    'semver.patch': part('PATCH'),
  };
}

/** A service name as part of an environment variable name, one to one: `_` -> `__`, `-` -> `_D`. */
export function serviceVarSuffix(service: string): string {
  return service.replace(/_/g, '__').replace(/-/g, '_D');
}

function semverEnvironment(v: SemverInfo | undefined, sfx = ''): Record<string, string> {
  const stable = v && !v.prerelease ? v : undefined;
  return {
    [`MATRIX_SEMVER_VERSION${sfx}`]: v?.version ?? '',
    [`MATRIX_SEMVER_MAJOR${sfx}`]: v?.major ?? '',
    [`MATRIX_SEMVER_MINOR${sfx}`]: v?.minor ?? '',
    [`MATRIX_SEMVER_PATCH${sfx}`]: v?.patch ?? '',
    [`MATRIX_SEMVER_STABLE_MAJOR${sfx}`]: stable?.major ?? '',
    [`MATRIX_SEMVER_STABLE_MINOR${sfx}`]: stable?.minor ?? '',
    [`MATRIX_SEMVER_STABLE_PATCH${sfx}`]: stable?.patch ?? '',
  };
}

/**
 * The version of one service from the tags on HEAD and `version_tags`
 * patterns (`{service}/v{version}`, `{service}@{version}`): the highest
 * version among the tags that match a pattern for this service. A pattern
 * picks the version out of a tag as GoReleaser's monorepo tag prefix and
 * metadata-action's `match` do; metadata-action reads only the tag that
 * started the workflow, so "highest" is matrix's own rule.
 */
export function serviceVersion(tags: readonly string[], patterns: readonly string[], service: string): SemverInfo | undefined {
  const res = patterns.map((p) => versionTagRegExp(p, service));
  const found: { tag: string; info: SemverInfo }[] = [];
  for (const tag of tags) {
    for (const re of res) {
      const m = re.exec(tag);
      const info = m ? parseSemver(m[1]!) : undefined;
      if (info) {
        found.push({ tag, info });
        break;
      }
    }
  }
  return highest(found)?.info;
}

/** `{service}/v{version}` for `api` -> /^api\/v(.+)$/; every other character is literal. */
export function versionTagRegExp(pattern: string, service: string): RegExp {
  const parts = pattern.split(/(\{service\}|\{version\})/);
  return new RegExp(`^${parts.map((p) => (p === '{service}' ? literalRegExp(service) : p === '{version}' ? '(.+)' : literalRegExp(p))).join('')}$`);
}

/** MATRIX_SEMVER_*__SERVICE for every service, when the spec has `version_tags`. */
export function serviceVersionEnvironment(tags: readonly string[], patterns: readonly string[], services: Iterable<string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) Object.assign(env, semverEnvironment(serviceVersion(tags, patterns, s), `__${serviceVarSuffix(s)}`));
  return env;
}

/** The highest `vX.Y.Z` (or `X.Y.Z`) tag on HEAD, by semver precedence (`v1.0.0` above `v1.0.0-rc.1`), and its version. */
function headSemver(tags: readonly string[]): { tag: string; info: SemverInfo } | undefined {
  return highest(
    tags.flatMap((tag) => {
      const info = /^v?\d/.test(tag) ? parseSemver(tag) : undefined;
      return info ? [{ tag, info }] : [];
    }),
  );
}

/** The tag of the highest version by semver precedence; of equal ones, the first given. */
function highest(found: readonly { tag: string; info: SemverInfo }[]): { tag: string; info: SemverInfo } | undefined {
  let best: { tag: string; info: SemverInfo } | undefined;
  for (const f of found) if (!best || semver().rcompare(best.info.version, f.info.version) > 0) best = f;
  return best;
}

/**
 * Which tag on HEAD `${{ git.tag }}` is, when there are several: the one the
 * semver values come from (the highest version: a commit tagged
 * `v1.0.0-rc.1` and then `v1.0.0` is `v1.0.0`), else the newest (`tags` come
 * newest first, by creatordate, then by name). Never git's version sort,
 * which the user's `versionsort.suffix` reorders and which ranks any tag
 * named after a letter above `v1.2.3`. In CI, MATRIX_GIT_TAG set to the tag
 * that started the run wins over both, and the semver values then come from
 * that tag (buildEnvironment).
 */
function headTag(tags: readonly string[], version: { tag: string } | undefined): string {
  return version?.tag ?? tags[0] ?? '';
}

/**
 * HEAD's commit and time, and the refs that point at it: `HEAD -> refs/heads/NAME`
 * when HEAD is on a branch (only a ref that is itself decorated shows as
 * HEAD's, so every branch is), and `tag: refs/tags/NAME` for each tag on
 * it (git-log(1), `%D` and `--decorate-refs`; an explicit pattern overrides
 * the user's log.excludeDecoration, and `--decorate=full` the user's
 * log.decorate, so the names are always whole). One git process for what
 * `log`, `symbolic-ref` and `tag --points-at` answered in three.
 */
const HEAD_COMMAND = ['log', '-1', '--format=%H %ct%n%D', '--decorate=full', '--decorate-refs=HEAD', '--decorate-refs=refs/heads/', '--decorate-refs=refs/tags/'] as const;
/** The `origin` remote, as git rewrites it (url.*.insteadOf). */
const REMOTE_COMMAND = ['remote', 'get-url', 'origin'] as const;
/**
 * The tags on HEAD, newest first, then by name: read only where HEAD's
 * decorations show a tag, for their order (two keys: the last one given is
 * the first compared, git-for-each-ref(1)) and as git lists them.
 */
const TAGS_COMMAND = ['tag', '--points-at', 'HEAD', '--sort=refname', '--sort=-creatordate'] as const;

/**
 * Whether git runs at all, and HEAD's commit, branch, tags and remote: the
 * reads of HEAD and of the remote in one shell (gitBatch), one Node spawn
 * before the compile (each process start costs the event loop several
 * milliseconds), and the tags' own read only where a tag is on HEAD. Where
 * the shell gives no commit (no shell, no commit yet, no git to run), each
 * runs as its own process: then the first read's spawn error (no git on
 * PATH) tells that git cannot run, and no `git --version` of its own is
 * started.
 */
async function readGitInfo(repo: Git): Promise<[{ ok: true } | { ok: false; cause: string }, GitInfo | undefined]> {
  const batch = await gitBatch(repo, [[...HEAD_COMMAND], [...REMOTE_COMMAND]]);
  let headOutput = batch?.[0];
  let remote = batch?.[1];
  if (!headOutput) {
    const [first, own] = await Promise.all([gitQuery(repo, [...HEAD_COMMAND]), git(repo, [...REMOTE_COMMAND])]);
    if (first.spawnError !== undefined) return [{ ok: false, cause: first.spawnError }, undefined];
    headOutput = first.output;
    remote = own;
  }
  const head = headOf(headOutput);
  if (!head) return [{ ok: true }, undefined];
  const tags = head.tagged ? await git(repo, [...TAGS_COMMAND]) : '';
  return [{ ok: true }, gitInfoOf(head.commit, head.branch, tags, remote)];
}

/**
 * HEAD_COMMAND's answer: `SHA EPOCH` (what gitInfoOf takes); HEAD's branch,
 * its name after refs/heads/ (as docker/metadata-action takes a branch from
 * refs/heads/NAME; `symbolic-ref --short` would say `heads/NAME` where a tag
 * has the same name), empty when HEAD is detached or on a ref that is no
 * branch (git shows no `HEAD ->` then either); and whether a tag points at
 * it. Undefined without a commit.
 */
export function headOf(output: string | undefined): { commit: string; branch: string; tagged: boolean } | undefined {
  if (!output) return undefined;
  const nl = output.indexOf('\n');
  const commit = nl < 0 ? output : output.slice(0, nl);
  if (!/^[0-9a-f]{40,64} \S+$/.test(commit)) return undefined;
  // Ref names hold no space (git-check-ref-format(1)): `, ` only separates them.
  const refs = nl < 0 ? [] : output.slice(nl + 1).split(', ');
  const branch = refs.find((r) => r.startsWith('HEAD -> refs/heads/'))?.slice('HEAD -> refs/heads/'.length) ?? '';
  return { commit, branch, tagged: refs.some((r) => r.startsWith('tag: refs/tags/')) };
}

function gitInfoOf(head: string | undefined, branch: string | undefined, tags: string | undefined, remote: string | undefined): GitInfo | undefined {
  if (!head) return undefined;
  const [sha, epoch] = head.split(' ') as [string, string];
  const time = commitTime(epoch);
  const tagList = (tags ?? '').split('\n').filter(Boolean);
  const version = headSemver(tagList);
  const tag = tagSlug(headTag(tagList, version));
  const semver = version?.info;
  return {
    sha,
    shortSha: sha.slice(0, SHORT_SHA_LENGTH),
    branch: branchSlug(branch ?? ''),
    tag,
    tags: tagList,
    ...(semver ? { semver } : {}),
    epoch: time?.epoch ?? '',
    created: time?.created ?? '',
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
    ...semverEnvironment(info?.semver),
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
 * sets win, so CI can pin them; the rest come from git. A pinned
 * MATRIX_GIT_TAG also decides the semver values (and, with `version_tags`,
 * each service's), so `git.tag` and `semver.*` always name one tag.
 */
export async function buildEnvironment(
  repoRoot: string,
  /** The Io's environment: git runs with it, and its values win. */
  callerEnv: Env,
  sourceDateEpoch?: number | false,
  versions?: { versionTags?: readonly string[]; services: ReadonlyMap<string, unknown> },
  onWarning?: (message: string) => void,
  /** The same reads, started earlier by startGitInfo for this repoRoot and callerEnv. */
  started?: GitInfoRead,
): Promise<Record<string, string>> {
  checkEnvironment(callerEnv);
  const [available, read] = await (started ?? startGitInfo(repoRoot, callerEnv));
  if (!available.ok) onWarning?.(missingGitWarning(available.cause));
  const info = available.ok ? read : undefined;
  const computed = gitEnvironment(info, sourceDateEpoch);
  const pinned = callerEnv.MATRIX_GIT_TAG;
  // A tag the caller pins is the run's tag, as metadata-action versions from the tag of the event
  // (src/meta.ts procSemver reads context.ref): the semver values come from it alone, never from
  // another tag on HEAD, and also where the checkout has no tags or git cannot run.
  const tags = pinned === undefined ? (info?.tags ?? []) : pinned ? [pinned] : [];
  if (pinned !== undefined) Object.assign(computed, semverEnvironment(headSemver(tags)?.info));
  if (versions?.versionTags?.length) Object.assign(computed, serviceVersionEnvironment(tags, versions.versionTags, versions.services.keys()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(computed)) out[k] = callerEnv[k] !== undefined ? callerEnv[k]! : v;
  // The short sha names the commit the run uses: a pinned MATRIX_GIT_SHA's, at the length metadata-action's is set to.
  // An empty pin (a CI expression with no value) leaves it git's, as it always did.
  if (callerEnv.MATRIX_GIT_SHORT_SHA === undefined) out.MATRIX_GIT_SHORT_SHA = (callerEnv.MATRIX_GIT_SHA || computed.MATRIX_GIT_SHA || '').slice(0, shortShaLength(callerEnv));
  // A branch or tag the caller pins (MATRIX_GIT_BRANCH=$GITHUB_REF_NAME) becomes a tag too: made safe the same way.
  out.MATRIX_GIT_BRANCH = branchSlug(out.MATRIX_GIT_BRANCH ?? '');
  out.MATRIX_GIT_TAG = tagSlug(out.MATRIX_GIT_TAG ?? '');
  // A source URL the caller sets is a label too: never with credentials.
  if (out.MATRIX_GIT_SOURCE) out.MATRIX_GIT_SOURCE = redactRemote(out.MATRIX_GIT_SOURCE);
  return out;
}

/** The short sha's length unless the environment sets one: git's and metadata-action's default. */
export const SHORT_SHA_LENGTH = 7;

/**
 * The length of `git.short_sha`: DOCKER_METADATA_SHORT_SHA_LENGTH, as
 * docker/metadata-action reads it for its `type=sha` tags (src/meta.ts
 * shortSha; README "environment variables"), so a workflow that lengthened
 * its short sha for a large repository keeps its tags. metadata-action
 * throws on a value that is no number and takes any number; matrix takes a
 * whole number from 4 (git's shortest abbreviation, core.abbrev) to 64 (a
 * SHA-256 object name), so a typo never tags an image with an empty or
 * one-letter sha.
 */
export function shortShaLength(env: Env): number {
  const raw = env.DOCKER_METADATA_SHORT_SHA_LENGTH;
  if (raw === undefined || raw === '') return SHORT_SHA_LENGTH;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 4 && n <= 64)) {
    throw new UserError([
      diagnostic({
        code: 'invalid-value',
        message: `DOCKER_METADATA_SHORT_SHA_LENGTH in the environment is ${JSON.stringify(raw)}: expected the number of characters of \`git.short_sha\`, a whole number from 4 to 64`,
        hint: `unset it for the default of ${SHORT_SHA_LENGTH}, or set a length such as 12`,
      }),
    ]);
  }
  return n;
}

/** The last second an RFC 3339 time (a four-digit year) names: 9999-12-31T23:59:59Z. */
export const LAST_EPOCH = 253_402_300_799;

/**
 * SOURCE_DATE_EPOCH from the caller's environment, checked before anything
 * builds. BuildKit reads the build arg with Go's strconv.ParseInt (base 10,
 * an optional sign) and fails the build on anything else, late, in every
 * target (containerd pkg/epoch ParseSourceDateEpoch, which buildx vendors);
 * the reproducible-builds specification asks for the digits `date +%s`
 * prints. matrix also writes the time as the `created` label, so it must be
 * a time RFC 3339 can write: from 0 (1970) to the end of the year 9999.
 * Empty counts as unset, as it does for containerd.
 */
export function sourceDateEpochOf(env: Env): string | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw) && Number(raw) <= LAST_EPOCH) return raw;
  throw new UserError([
    diagnostic({
      code: 'invalid-value',
      message: `SOURCE_DATE_EPOCH in the environment is ${JSON.stringify(raw)}: expected a time in seconds since 1970 (the digits \`date +%s\` prints), from 0 to ${LAST_EPOCH} (the end of the year 9999)`,
      hint: "set it to a commit time, `SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`, or unset it for each target's own commit time",
    }),
  ]);
}

/** The caller's values buildEnvironment reads that can be wrong: checked before any git process starts. */
export function checkEnvironment(env: Env): void {
  sourceDateEpochOf(env);
  shortShaLength(env);
}

/** What buildEnvironment reads from git: whether git runs, and HEAD's commit, branch, tags and remote. */
export type GitInfoRead = ReturnType<typeof readGitInfo>;

/**
 * Start buildEnvironment's git reads now. They depend on the repository
 * alone, so a command can start them before it compiles the spec: the git
 * processes run beside the compile (which holds the event loop) instead of
 * after it. Without git (the first read's spawn error) the info is dropped.
 * A rejection nobody awaits is not reported (a failed compile).
 */
export function startGitInfo(repoRoot: string, callerEnv: Env): GitInfoRead {
  const repo = gitAt(repoRoot, callerEnv);
  const started: GitInfoRead = readGitInfo(repo);
  started.catch(() => undefined);
  return started;
}

export function missingGitWarning(cause: string): string {
  return `git cannot be run (${cause}): the images get no revision labels (org.opencontainers.image.revision, created, source), no git.* / semver.* values, and no SOURCE_DATE_EPOCH from the commit time; install git, or set MATRIX_GIT_* and SOURCE_DATE_EPOCH in the environment`;
}

export interface InputRevision {
  sha: string;
  /** The commit time, absent where it is no time RFC 3339 can write (commitTime). */
  epoch?: string;
  created?: string;
}

/**
 * A commit time as git prints it (`%ct`), with its RFC 3339 form; undefined
 * for one outside 1970 to the year 9999. git writes any number a commit
 * object holds, and a repository can bring a commit dated `99999999999999`
 * (hash-object takes it): its time is then not used, as where git cannot run.
 */
export function commitTime(epoch: string | undefined): { epoch: string; created: string } | undefined {
  if (epoch === undefined || !/^\d+$/.test(epoch) || Number(epoch) > LAST_EPOCH) return undefined;
  return { epoch, created: rfc3339(Number(epoch)) };
}

/** Seconds since 1970 as RFC 3339 in UTC, without fractions: `2023-11-14T22:13:20Z`. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** How many `git log` processes inputRevisions runs at once, at most. */
export const GIT_PROCESSES = 8;

/**
 * Answers of `git log -1 HEAD -- PATHS` kept from an earlier run at the same
 * HEAD commit (src/repro/revision-store.ts): a commit's history never
 * changes, so neither does the last commit that touched a path in it.
 */
export interface RevisionStore {
  /** The commit every answer is for: the commands name it instead of HEAD. */
  readonly head: string;
  /** The kept line (`SHA EPOCH`, or '' when no commit touched the paths) of a group of paths (inputRevisions' key). */
  get(key: string): string | undefined;
  /** Keep these answers too (a failure only loses them). */
  save(answers: ReadonlyMap<string, string>): void;
}

/**
 * The last commit that touched each target's inputs (context, Dockerfile).
 * `matrix bake` gives each target its own SOURCE_DATE_EPOCH and revision
 * labels from it, so a commit that changes one service leaves the image
 * digests of every other service unchanged. With a store, what it kept for
 * the same commit is answered without git, and the rest asked of that commit
 * and kept.
 */
export async function inputRevisions(repo: Git, inputs: ReadonlyArray<{ target: string; paths: string[] }>, processes = GIT_PROCESSES, store?: RevisionStore): Promise<Map<string, InputRevision>> {
  const byPaths = new Map<string, string[]>();
  for (const i of inputs) {
    const key = JSON.stringify([...new Set(i.paths)].sort());
    byPaths.set(key, [...(byPaths.get(key) ?? []), i.target]);
  }
  const lines = new Map<string, string | undefined>();
  for (const key of byPaths.keys()) {
    const kept = store?.get(key);
    if (kept !== undefined) lines.set(key, kept);
  }
  const asked = [...byPaths.keys()].filter((key) => !lines.has(key));
  const answers = await lastCommits(
    repo,
    asked.map((key) => ['log', '-1', '--format=%H %ct', ...(store ? [store.head] : []), '--', ...(JSON.parse(key) as string[]).map((p) => `:(top,literal)${p}`)]),
    processes,
  );
  const fresh = new Map<string, string>();
  asked.forEach((key, i) => {
    lines.set(key, answers[i]);
    if (answers[i] !== undefined) fresh.set(key, answers[i]);
  });
  if (store && fresh.size) store.save(fresh);
  const out = new Map<string, InputRevision>();
  for (const [key, targets] of byPaths) {
    const line = lines.get(key);
    if (!line) continue;
    const [sha, epoch] = line.split(' ') as [string, string];
    const rev: InputRevision = { sha, ...commitTime(epoch) };
    for (const t of targets) out.set(t, rev);
  }
  return out;
}

/** Each command's one line of output ('' for none), undefined where git failed. */
async function lastCommits(repo: Git, commands: string[][], processes: number): Promise<(string | undefined)[]> {
  if (!commands.length) return [];
  // A few shells run them all where they can (gitEach); otherwise one process each.
  const each = await gitEach(repo, commands, processes);
  if (each) return each;
  const answers: (string | undefined)[] = [];
  // A few git processes at a time: each next one starts as soon as any ends.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < commands.length) {
      const i = next++;
      answers[i] = await git(repo, commands[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(processes, commands.length)) }, worker));
  return answers;
}
