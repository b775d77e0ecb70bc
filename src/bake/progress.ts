// Reads buildx's plain progress (`--progress=plain`) line by line and keeps,
// per target and platform, whether its steps finished, failed or never did.
// Step names look like `#8 [api linux/amd64->arm64 builder 2/4] RUN ...`:
// the target (absent when bake builds one target), the platform (absent
// unless the target builds several; build->target when cross-compiling),
// the stage (absent for an unnamed one), then the step counter. A target with
// one platform prints `[1/1] COPY ...` alone, or `[b 1/1] COPY ...` among
// several targets. See parseName for the sources.
import { stepOwnEnd } from '../release/classify.js';

export type CellStatus = 'done' | 'failed' | 'cancelled' | 'pending';

export interface CellProgress {
  target: string;
  platform: string;
  status: CellStatus;
  startedAt?: number;
  endedAt?: number;
  /** First lines of the error, for a failed cell. */
  error: string[];
  /** The failed step as BuildKit names it after its brackets (`COPY missing /f`), for a failed cell. */
  failedStep?: string;
  /** Its target's export ended (EXPORT_STEP done): the image is in the store, or pushed, whatever the bake did after. */
  exported?: boolean;
}

interface Vertex {
  target: string;
  platform?: string;
  log: string[];
  /** The text after the name in brackets: the instruction of a Dockerfile step. */
  step: string;
}

export class ProgressTracker {
  private readonly cells = new Map<string, CellProgress>();
  private readonly vertices = new Map<string, Vertex[]>();
  private readonly targets: readonly string[];
  /**
   * The targets of the first vertex that failed. A failed step ends the whole
   * bake: BuildKit cancels what is still running, and a cancelled step can end
   * in an ERROR of its own (an export cut off mid-blob: "error writing data
   * blob ... EOF"). Later errors of other targets are such casualties: their
   * cells count as cancelled, to be built again, not as failed. Except a
   * step's process that ended non-zero by itself (ownFailure): a target whose
   * step failed at about the same moment as the first one's failed too.
   */
  private firstFailed: ReadonlySet<string> | undefined;

  constructor(
    plan: ReadonlyArray<{ target: string; platforms: readonly string[] }>,
    private readonly now: () => number = Date.now,
  ) {
    this.targets = plan.map((p) => p.target);
    for (const p of plan) for (const pl of p.platforms) this.cells.set(key(p.target, pl), { target: p.target, platform: pl, status: 'pending', error: [] });
  }

  /** Feed one line of bake's stderr. */
  line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    const head = /^#(\d+) \[([^\]]*)\]/.exec(line);
    if (head) {
      const v = this.parseName(head[2]!);
      if (!v) return;
      const list = this.vertices.get(head[1]!) ?? [];
      if (!list.some((x) => x.target === v.target && x.platform === v.platform)) list.push({ ...v, log: [], step: line.slice(head[0].length).trim() });
      this.vertices.set(head[1]!, list);
      for (const c of this.cellsOf(v)) {
        c.startedAt ??= this.now();
      }
      return;
    }
    const body = /^#(\d+) (.*)$/.exec(line);
    if (!body) return;
    const list = this.vertices.get(body[1]!);
    if (!list) return;
    const text = body[2]!;
    if (/^(DONE|CACHED)\b/.test(text)) {
      for (const v of list) {
        const exported = EXPORT_STEP.test(v.step);
        for (const c of this.cellsOf(v)) {
          c.endedAt = this.now();
          if (exported) c.exported = true;
        }
      }
    } else if (/^ERROR\b/.test(text)) {
      this.firstFailed ??= new Set(list.map((v) => v.target));
      const own = ownFailure(text);
      for (const v of list) {
        const cause = own || this.firstFailed.has(v.target);
        for (const c of this.cellsOf(v)) {
          c.endedAt = this.now();
          if (!cause) {
            if (c.status === 'pending') c.status = 'cancelled';
            continue;
          }
          c.status = 'failed';
          if (!c.error.length) {
            c.error = [...v.log.slice(-5), text.replace(/^ERROR:?\s*/, '')];
            if (v.step) c.failedStep = v.step;
          }
        }
      }
    } else if (/^CANCELED\b/.test(text)) {
      for (const v of list) for (const c of this.cellsOf(v)) if (c.status === 'pending') c.status = 'cancelled';
    } else if (text !== '...') {
      // Step output: "0.345 boom". Keep a few lines for the error report. `#N ...` is none: the
      // printer moving on to another step before this one ended (moby/buildkit
      // util/progress/progressui/printer.go, vendored in docker/buildx).
      for (const v of list) {
        v.log.push(text.replace(/^\d+\.\d+ /, ''));
        if (v.log.length > 20) v.log.shift();
      }
    }
  }

  /**
   * Final state once bake exited with `code`. A successful run built every
   * cell: BuildKit may still print CANCELED for a step it deduplicated.
   */
  finish(code: number): CellProgress[] {
    const out = [...this.cells.values()];
    for (const c of out) {
      if (code === 0 && c.status !== 'failed') c.status = 'done';
      else if (c.status === 'pending') c.status = 'cancelled';
    }
    return out;
  }

  /**
   * The target and platform of a vertex name (the text in brackets). How the
   * name is built:
   * - buildx adds the target, `[pfx ` before a name that starts with `[`,
   *   `[pfx] ` before any other, and only when bake builds more than one
   *   target (docker/buildx util/progress/multiwriter.go `addPrefix`;
   *   build/build.go `progress.WithPrefix(w, k, multiTarget)`, `multiTarget :=
   *   len(opt) > 1`).
   * - BuildKit names a Dockerfile step `[platform stage n/m] CMD`
   *   (frontend/dockerfile/dockerfile2llb/convert.go `prefixCommand`): the
   *   platform only when several are requested (`MultiPlatformRequested`), as
   *   `platforms.FormatAll` plus `formatTargetPlatform`'s `->arch[/variant]`
   *   (same OS) or `->os/arch[/variant]` (another OS) when TARGETPLATFORM
   *   differs; the stage name when the stage has one; the counter padded with
   *   spaces to the width of the total (`%*d/%d`, `[ 1/10]`). Other vertices
   *   are `[internal] ...`, `[platform internal] load metadata ...`.
   * So a word with a `/` is the platform unless it is the counter, digits
   * only (stage names have no `/`), and a name without one is every platform
   * of its target: the only one when the target builds one.
   */
  private parseName(name: string): { target: string; platform?: string } | undefined {
    const words = name.split(' ').filter((w) => w !== '');
    let target: string;
    if (this.targets.includes(words[0]!)) target = words.shift()!;
    else if (this.targets.length === 1) target = this.targets[0]!;
    else return undefined;
    const m = words.length && !STEP.test(words[0]!) ? PLATFORM.exec(words[0]!) : null;
    if (!m) return { target };
    const [, os, arch, to] = m;
    if (!to) return { target, platform: `${os}/${arch}` };
    // `->arm64`, `->arm/v7`: the build's OS; `->windows/amd64`: another one.
    const sameOs = `${os}/${to}`;
    const platform = to.includes('/') && !this.cells.has(key(target, sameOs)) ? to : sameOs;
    return { target, platform };
  }

  private cellsOf(v: { target: string; platform?: string }): CellProgress[] {
    if (v.platform) {
      const c = this.cells.get(key(v.target, v.platform));
      return c ? [c] : [];
    }
    return [...this.cells.values()].filter((c) => c.target === v.target);
  }
}

/**
 * Whether a step's ERROR is its own failure whenever it came: its process
 * ended with a non-zero exit code of its own (`process "..." did not complete
 * successfully: exit code: 7`, or BuildKit 0.16's `...: cannot allocate
 * memory` for a step the OOM killer stopped; src/release/classify.ts
 * stepOwnEnd). When
 * bake's cancel stops a step, BuildKit's executor appends the context's cause
 * (runcexecutor exitError: `exit code: 137: context canceled`), and buildx's
 * plain progress prints it as `#N CANCELED` (progressui/printer.go), so a
 * cancelled step never ends at its exit code. Any other later ERROR may be a
 * casualty of the cancel (an export cut off: `... EOF: unknown`).
 */
function ownFailure(text: string): boolean {
  return stepOwnEnd(text.replace(/^ERROR:?\s*/, ''));
}

/**
 * The step of a target's exporter, as BuildKit names it (each exporter's
 * Name(), moby/buildkit exporter/: image, oci and docker, local, tar); bake
 * prints it as `[TARGET] exporting to image` among several targets.
 */
const EXPORT_STEP = /^exporting to (?:image|oci image format|docker image format|client directory|client tarball)$/;

/** BuildKit's step counter, `2/4` (dockerfile2llb `prefixCommand`). */
const STEP = /^\d+\/\d+$/;
/**
 * A platform word: containerd's `FormatAll`, `os[(osversion)]/arch[/variant]`,
 * then `->` and the target platform when cross-compiling. Groups: OS,
 * architecture with variant, target platform.
 */
const PLATFORM = /^([a-z0-9_]+)(?:\([^)]*\))?\/([a-z0-9_]+(?:\/[a-z0-9_.]+)?)(?:->([a-z0-9_./()]+))?$/;

function key(target: string, platform: string): string {
  return `${target}\u0000${platform}`;
}
