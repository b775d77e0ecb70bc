// Output held back while `matrix bake`'s engine checks finish beside bake's own
// start-up (src/cli/bake.ts buildBesideChecks): shown in order once every check
// passed, dropped when one failed, so the user sees the check's fix and never
// bake's own error text.

export interface Sink {
  write(s: string): unknown;
}

export class OutputGate {
  private held: Array<[Sink, string]> | undefined = [];
  private dropped = false;
  readonly stdout: Sink;
  readonly stderr: Sink;

  constructor(out: Sink, err: Sink) {
    this.stdout = { write: (s: string) => this.put(out, s) };
    this.stderr = { write: (s: string) => this.put(err, s) };
  }

  private put(to: Sink, s: string): boolean {
    if (this.held) this.held.push([to, s]);
    else if (!this.dropped) to.write(s);
    return true;
  }

  /** Everything held, in the order it was written; later writes go straight through. */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [to, s] of held) to.write(s);
  }

  /** Nothing held or written later is ever shown. */
  drop(): void {
    this.held = undefined;
    this.dropped = true;
  }
}
