// Reads buildx's plain progress (`--progress=plain`) line by line and keeps,
// per target and platform, whether its steps finished, failed or never did.
// Step names look like `#8 [api linux/amd64->arm64 builder 2/4] RUN ...`:
// target (absent when bake builds one target), the platform (build->target
// when cross-compiling), then the stage.

export type CellStatus = 'done' | 'failed' | 'cancelled' | 'pending';

export interface CellProgress {
  target: string;
  platform: string;
  status: CellStatus;
  startedAt?: number;
  endedAt?: number;
  /** First lines of the error, for a failed cell. */
  error: string[];
}

interface Vertex {
  target: string;
  platform?: string;
  log: string[];
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
   * cells count as cancelled, to be built again, not as failed.
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
      if (!list.some((x) => x.target === v.target && x.platform === v.platform)) list.push({ ...v, log: [] });
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
      for (const v of list) for (const c of this.cellsOf(v)) c.endedAt = this.now();
    } else if (/^ERROR\b/.test(text)) {
      this.firstFailed ??= new Set(list.map((v) => v.target));
      for (const v of list) {
        const cause = this.firstFailed.has(v.target);
        for (const c of this.cellsOf(v)) {
          c.endedAt = this.now();
          if (!cause) {
            if (c.status === 'pending') c.status = 'cancelled';
            continue;
          }
          c.status = 'failed';
          if (!c.error.length) c.error = [...v.log.slice(-5), text.replace(/^ERROR:?\s*/, '')];
        }
      }
    } else if (/^CANCELED\b/.test(text)) {
      for (const v of list) for (const c of this.cellsOf(v)) if (c.status === 'pending') c.status = 'cancelled';
    } else {
      // Step output: "0.345 boom". Keep a few lines for the error report.
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

  private parseName(name: string): { target: string; platform?: string } | undefined {
    const words = name.split(' ');
    let target: string;
    if (this.targets.includes(words[0]!)) target = words.shift()!;
    else if (this.targets.length === 1) target = this.targets[0]!;
    else return undefined;
    const p = words[0];
    if (p && /^[a-z0-9]+\/[a-z0-9_]+/.test(p)) {
      const [build, to] = p.split('->');
      const platform = to ? `${build!.split('/')[0]}/${to}` : build!;
      return { target, platform };
    }
    return { target };
  }

  private cellsOf(v: { target: string; platform?: string }): CellProgress[] {
    if (v.platform) {
      const c = this.cells.get(key(v.target, v.platform));
      return c ? [c] : [];
    }
    return [...this.cells.values()].filter((c) => c.target === v.target);
  }
}

function key(target: string, platform: string): string {
  return `${target}\u0000${platform}`;
}
