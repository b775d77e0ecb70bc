// One `matrix bake` as rounds of `docker buildx bake`: a round that failed
// for a transient reason (src/release/classify.ts) runs again, after a
// backoff, up to --retries times, and one that failed on a cached layer the
// engine lost runs again at once with the targets it failed built without the
// cache, within the same count; with --keep-going, a round that failed
// for a build error is followed by one on what is left that does not depend
// on a failed target (dependencies from the resolved model: a target's named
// contexts). Bake schedules every round; the cache makes finished work
// instant. The decisions are pure; `runOnce` runs bake.
import type { AbnormalEnd } from '../adapters/exit.js';
import type { CellProgress } from './progress.js';
import type { BakeSelection } from './command.js';
import type { Target } from '../spec.js';
import { backoffSeconds, classifyFailure, type CacheFault, type MachineFault } from '../release/classify.js';

export interface Round {
  code: number;
  /** The signal that interrupted matrix (forwarded to bake), if any. */
  interruptedBy?: NodeJS.Signals;
  cells: CellProgress[];
  /** bake's stderr lines of this round. */
  lines: string[];
  /** bake (docker, buildx) was killed by a signal matrix did not send, or exited 125, 126 or 127 (src/adapters/exit.ts): no build error, and never retried. */
  end?: AbnormalEnd;
}

export interface RoundsOutcome {
  /** The last round (its metadata is the one on disk). */
  last: Round;
  /** Per target, the cells of the last round that built it. */
  cells: Map<string, CellProgress[]>;
  built: string[];
  failed: string[];
  skipped: { target: string; reason: string }[];
  /** Non-zero when any target failed or was skipped. */
  exitCode: number;
  /** The storage fault that stopped the last round, if one did (classifyFailure). */
  fault?: MachineFault;
  /** A snapshot the engine's build cache lost, if a failed round said so (classifyFailure): the first one. */
  cacheFault?: CacheFault;
  /**
   * With cacheFault: whether that round took any target the fault failed from the cache (it was not
   * among the round's noCache). False after a retry built them without it: --no-cache is no way past it then.
   */
  cacheFaultFromCache?: boolean;
}

export interface RoundOptions {
  keepGoing: boolean;
  retries: number;
  log: (line: string) => void;
  sleep?: (seconds: number) => Promise<void>;
}

/** Targets (by name) and, transitively, what each is built from (named contexts `target:`). */
export function dependenciesOf(targets: readonly Target[]): Map<string, Set<string>> {
  const direct = new Map(targets.map((t) => [t.name, Object.values(t.contexts)]));
  const out = new Map<string, Set<string>>();
  const walk = (name: string, seen: Set<string>) => {
    for (const d of direct.get(name) ?? []) if (!seen.has(d)) walk(d, seen.add(d));
    return seen;
  };
  for (const t of targets) out.set(t.name, walk(t.name, new Set()));
  return out;
}

/**
 * Rows of a target that did not finish while a target it is built from (a
 * named context `target:`, transitively) failed get that target as the cause:
 * bake never started them, and the summary says why instead of "not finished".
 */
export function withBlockedBy<R extends { target: string; status: string; blockedBy?: string }>(rows: readonly R[], targets: readonly Target[]): (R & { blockedBy?: string })[] {
  const failed = new Set(rows.filter((r) => r.status === 'failed').map((r) => r.target));
  if (!failed.size) return [...rows];
  const deps = dependenciesOf(targets);
  return rows.map((r) => {
    if (r.status !== 'cancelled' && r.status !== 'pending') return r;
    const cause = [...(deps.get(r.target) ?? [])].find((d) => failed.has(d));
    return cause ? { ...r, blockedBy: cause } : r;
  });
}

/**
 * After a failed round: what built, what failed, what is held back, what is
 * skipped (and why), and what runs next. Pure. BuildKit names a step shared
 * through a named context after one or more of the targets that use it, so a
 * failed target whose dependency was not built in this round cannot be
 * blamed yet: it is held until that dependency is decided.
 */
export function afterFailure(sel: BakeSelection, cells: readonly CellProgress[], deps: ReadonlyMap<string, ReadonlySet<string>>, failedBefore: readonly string[]) {
  const names = sel.targets.map((t) => t.target.name);
  const of = (n: string) => cells.filter((c) => c.target === n);
  const built = names.filter((n) => of(n).length > 0 && of(n).every((c) => c.status === 'done'));
  const undecidedDeps = (n: string) => names.filter((d) => d !== n && deps.get(n)?.has(d) && !built.includes(d));
  const broken = names.filter((n) => of(n).some((c) => c.status === 'failed'));
  const failed = broken.filter((n) => !undecidedDeps(n).length);
  const ambiguous = broken.filter((n) => undecidedDeps(n).length);
  // What is built from a held target waits with it.
  const held = names.filter((n) => ambiguous.includes(n) || ambiguous.some((h) => deps.get(n)?.has(h)));
  const allFailed = [...failedBefore, ...failed];
  const skipped: Skip[] = [];
  for (const n of names) {
    if (failed.includes(n) || built.includes(n)) continue;
    const cause = allFailed.find((f) => deps.get(n)?.has(f));
    if (cause) skipped.push({ target: n, reason: `depends on ${cause}, which failed` });
  }
  const done = new Set([...failed, ...built, ...held, ...skipped.map((s) => s.target)]);
  return { failed, built, held: held.filter((n) => !skipped.some((s) => s.target === n)), skipped, next: names.filter((n) => !done.has(n)) };
}

type Skip = { target: string; reason: string };

const sleepFor = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));

type State = Omit<RoundsOutcome, 'last' | 'exitCode' | 'fault'> & { held: string[] };

export async function bakeRounds(sel: BakeSelection, targets: readonly Target[], o: RoundOptions, runOnce: (sel: BakeSelection) => Promise<Round>): Promise<RoundsOutcome> {
  const deps = dependenciesOf(targets);
  const st: State = { cells: new Map(), built: [], failed: [], skipped: [], held: [] };
  let current = sel;
  let attempt = 0;
  for (;;) {
    const round = await runOnce(current);
    keepCells(st, current, round);
    // Interrupted, killed (the OOM killer ...) or not run at all: nothing built can be blamed; --keep-going stops too.
    if (round.interruptedBy || round.end) return finish(st, round);
    let next: string[] = [];
    if (round.code === 0) st.built.push(...current.targets.map((t) => t.target.name));
    else {
      const why = classifyFailure(round.lines);
      // A cached layer the engine lost fails every build that takes it from the cache: the targets it failed
      // build again without the cache, the rest as before (their finished work comes from the cache).
      if (why.cacheFault && attempt < o.retries) {
        attempt++;
        const fresh = lostLayerTargets(current, round.cells, why.cacheFault.snapshot);
        o.log(`matrix: retry ${attempt} of ${o.retries} now: the engine lost a cached layer (snapshot ${why.cacheFault.snapshot}); building ${fresh.join(', ')} again without the cache`);
        current = { ...current, noCache: [...new Set([...(current.noCache ?? []), ...fresh])] };
        continue;
      }
      if (why.transient && attempt < o.retries) {
        attempt++;
        const wait = backoffSeconds(attempt);
        o.log(`matrix: retry ${attempt} of ${o.retries} in ${wait}s: a transient registry or network error: ${why.cause}`);
        await (o.sleep ?? sleepFor)(wait);
        continue;
      }
      if (why.cacheFault && !st.cacheFault) {
        st.cacheFault = why.cacheFault;
        st.cacheFaultFromCache = lostLayerTargets(current, round.cells, why.cacheFault.snapshot).some((n) => !current.noCache?.includes(n));
      }
      // A full disk fails whatever is built next: --keep-going stops there too.
      if (!o.keepGoing || why.fault) return finish(st, round, why.fault);
      const step = afterFailure(current, round.cells, deps, st.failed);
      st.built.push(...step.built);
      st.failed.push(...step.failed);
      st.skipped.push(...step.skipped);
      st.held.push(...step.held);
      // Nothing to blame: stop here.
      if (!step.failed.length && !step.held.length) return finish(st, round);
      if (step.failed.length) o.log(`matrix: --keep-going: ${step.failed.join(', ')} failed; building what does not depend on it`);
      next = step.next;
    }
    next.push(...release(st, deps, new Set(next)));
    if (!next.length) return finish(st, round);
    const fresh = current.noCache?.filter((n) => next.includes(n));
    current = {
      targets: sel.targets.filter((t) => next.includes(t.target.name)),
      names: sel.targets.map((t) => t.target.name).filter((n) => next.includes(n)),
      ...(fresh?.length ? { noCache: fresh } : {}),
    };
    attempt = 0;
  }
}

/** Per target of the round, its cells: the last round that built a target has the say. */
function keepCells(st: State, sel: BakeSelection, round: Round): void {
  for (const t of sel.targets)
    st.cells.set(
      t.target.name,
      round.cells.filter((c) => c.target === t.target.name),
    );
}

/**
 * The targets whose failed cells name the lost snapshot (their error lines
 * hold containerd's `snapshot ID does not exist`); every target of the round
 * when none does.
 */
function lostLayerTargets(sel: BakeSelection, cells: readonly CellProgress[], snapshot: string): string[] {
  const says = `snapshot ${snapshot} does not exist`;
  const named = new Set(cells.filter((c) => c.status === 'failed' && c.error.some((l) => l.includes(says))).map((c) => c.target));
  const inRound = sel.targets.map((t) => t.target.name);
  const hit = inRound.filter((n) => named.has(n));
  return hit.length ? hit : inRound;
}

/** Held targets whose dependencies are decided: skipped (one failed) or returned to run (all built). */
function release(st: State, deps: ReadonlyMap<string, ReadonlySet<string>>, running: ReadonlySet<string>): string[] {
  const back: string[] = [];
  for (const n of [...st.held]) {
    const cause = [...st.failed, ...st.skipped.map((s) => s.target)].find((f) => deps.get(n)?.has(f));
    const waiting = [...(deps.get(n) ?? [])].some((d) => running.has(d) || st.held.includes(d));
    if (!cause && waiting) continue;
    st.held.splice(st.held.indexOf(n), 1);
    if (cause) st.skipped.push({ target: n, reason: `depends on ${cause}, which ${st.failed.includes(cause) ? 'failed' : 'was skipped'}` });
    else back.push(n);
  }
  return back;
}

function finish(st: State, last: Round, fault?: MachineFault): RoundsOutcome {
  for (const n of st.held) st.skipped.push({ target: n, reason: 'its dependencies were not built' });
  const bad = st.failed.length + st.skipped.length > 0;
  const lost = st.cacheFault ? { cacheFault: st.cacheFault, cacheFaultFromCache: st.cacheFaultFromCache ?? true } : {};
  return { cells: st.cells, built: st.built, failed: st.failed, skipped: st.skipped, last, exitCode: last.code !== 0 ? last.code : bad ? 1 : 0, ...(fault ? { fault } : {}), ...lost };
}
