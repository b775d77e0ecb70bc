// Why a generated `Dockerfile` became `NAME.Dockerfile`. A service's template
// writes `Dockerfile` in its directory until something else needs that name: a
// second service in the same directory, or matrix cells that render different
// Dockerfiles. Then every file there is named after its target, and `gen`
// removes the old `Dockerfile`; a user who committed it sees it vanish, so gen
// says why, once per directory.
import path from 'node:path';
import type { Change } from './sync.js';

export interface NamedTarget {
  name: string;
  service: string;
  /** Spec-dir-relative POSIX path of its Dockerfile. */
  dockerfile: string;
  /** Spec-dir-relative POSIX path of its context. */
  context?: string;
}

function list(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** One note per directory whose generated `Dockerfile` is removed in favour of `TARGET.Dockerfile` files. */
export function renameNotes(changes: readonly Change[], targets: readonly NamedTarget[]): string[] {
  const notes: string[] = [];
  for (const removed of changes.filter((c) => c.kind === 'delete' && path.posix.basename(c.file) === 'Dockerfile')) {
    const dir = path.posix.dirname(removed.file);
    const here = targets.filter((t) => path.posix.dirname(t.dockerfile) === dir && t.dockerfile.endsWith('.Dockerfile'));
    if (!here.length) {
      const moved = movedNote(removed.file, targets);
      if (moved) notes.push(moved);
      continue;
    }
    const services = [...new Set(here.map((t) => t.service))];
    const why =
      services.length > 1
        ? `services ${list(services)} are generated into the same directory (${dir}), so each Dockerfile is named after its target`
        : `the matrix cells of ${services[0]} render different Dockerfiles, so each is named after its target`;
    const files = [...new Set(here.map((t) => t.dockerfile))];
    notes.push(`note: ${removed.file} is now ${list(files)}: ${why}; docker-bake.hcl points at the new names`);
  }
  return notes;
}

/** A context's generated `Dockerfile` removed because `generated_dir`/`generated_file` now put it elsewhere. */
function movedNote(file: string, targets: readonly NamedTarget[]): string | undefined {
  const dir = path.posix.dirname(file);
  const moved = targets.filter((t) => t.context === dir && path.posix.dirname(t.dockerfile) !== dir);
  if (!moved.length) return undefined;
  const files = [...new Set(moved.map((t) => t.dockerfile))];
  return `note: ${file} is now ${list(files)}: \`generated_dir\`/\`generated_file\` place it outside the context; docker-bake.hcl points there`;
}
