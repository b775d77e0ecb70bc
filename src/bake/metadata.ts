// bake's metadata file (`--metadata-file`), read after each round that bake
// ended with exit 0. buildx writes it once the build succeeded, with an entry
// for every target it built, each that target's exporter response (docker/
// buildx commands/bake.go: after build.Build returns without error, the loop
// over its results and writeMetadataFile, an atomic write whose failure is
// bake's own error, so not exit 0). A failed run writes none. So after exit 0
// a file that is missing, left as it was before the round (a user's
// --metadata-file from an earlier run), unreadable, or without an entry for a
// target says the `docker` matrix ran is not buildx's bake as it should be (a
// wrapper or shim that drops the flag, a stub): what it built, with which
// image and digest, is unknown, and is reported so, never as the image and
// digest of an older file. An entry without `containerimage.digest` is
// buildx's own answer (the target exported no image: a local or tar output, a
// docker-container builder without --load or --push).
//
// The entries of every round are kept: a --keep-going round after one that
// succeeded writes the same file again with only its own targets.
import { statSync } from 'node:fs';
import { readJsonFile } from '../fs/read.js';

export type MetadataEntries = Record<string, Record<string, unknown>>;

/** Why the targets of a round have no metadata: each names what buildx would have done. */
export type MissingWhy = 'no file' | 'file unchanged' | 'file unreadable' | 'no entry';

export class BakeMetadata {
  /** Each target's entry, from the last round that built it. */
  readonly entries: MetadataEntries = {};
  /** Targets a round that bake ended with exit 0 built, of which the file says nothing: why. */
  readonly missing = new Map<string, MissingWhy>();

  /**
   * `file`: where bake writes it this run (none with --print or --dry-run: nothing is read);
   * `shown`: its name for the user, when it is theirs (--metadata-file), not matrix's own.
   */
  constructor(
    readonly file: string | undefined,
    readonly shown?: string,
  ) {}

  /** The file as it is now (identity, times and size), to tell one a round wrote from one it left; undefined when there is none. */
  stamp(): string | undefined {
    if (!this.file) return undefined;
    try {
      const st = statSync(this.file, { bigint: true });
      return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`;
    } catch {
      return undefined;
    }
  }

  /** After a round bake ended with exit 0, which built `targets`; `before`: stamp() before it ran. */
  afterRound(targets: readonly string[], before: string | undefined): void {
    if (!this.file) return;
    const now = this.stamp();
    let doc: unknown;
    let why: MissingWhy | undefined = now === undefined ? 'no file' : now === before ? 'file unchanged' : undefined;
    if (!why) {
      try {
        doc = readJsonFile(this.file);
      } catch {
        why = 'file unreadable';
      }
      if (!isRecord(doc)) why ??= 'file unreadable';
    }
    for (const t of targets) {
      const entry = why ? undefined : (doc as Record<string, unknown>)[t];
      if (isRecord(entry)) {
        this.entries[t] = entry;
        this.missing.delete(t);
      } else {
        delete this.entries[t];
        this.missing.set(t, why ?? 'no entry');
      }
    }
  }

  /**
   * The warning for targets without metadata, one line per reason, or none:
   * what happened, what buildx would have done, what it means for the summary.
   */
  warnings(dockerBin: string): string[] {
    const byWhy = new Map<MissingWhy, string[]>();
    for (const [t, why] of this.missing) byWhy.set(why, [...(byWhy.get(why) ?? []), t]);
    return [...byWhy].map(([why, targets]) => {
      const named = this.shown ? ` ${this.shown}` : '';
      const said = {
        'no file': `wrote no metadata file${named}`,
        'file unchanged': `left the metadata file${named} as it was before the build (its entries are not of this build)`,
        'file unreadable': `wrote a metadata file${named} that is no JSON object`,
        'no entry': `wrote a metadata file without an entry for ${targets.length > 1 ? 'them' : 'it'}`,
      }[why];
      return `\`${dockerBin} buildx bake\` ended with exit 0 but ${said}: buildx writes one after every build that succeeds, with an entry for each target it built. The images and digests of ${targets.join(', ')} are unknown (their rows say "no metadata"). Is \`${dockerBin}\` a wrapper or shim that drops --metadata-file, or not Docker's buildx? (\`matrix doctor\`)`;
    });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
