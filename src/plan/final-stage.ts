// An image whose final stage is pinned to the build platform
// (`FROM --platform=$BUILDPLATFORM ...` as the stage that is exported) ships
// the build platform's files under every target platform's label: an arm64
// image with amd64 binaries inside. BuildKit builds it without a word
// (docs.docker.com/build/building/multi-platform/#cross-compilation: only the
// build stages are meant to run on $BUILDPLATFORM), so `plan` refuses it.
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { logicalLines } from '../dockerfile/directives.js';
import type { Target } from '../spec.js';
import { literalRegExp } from '../regexp.js';

const BUILD_PLATFORM = /^--platform=(\$\{?BUILDPLATFORM\}?)$/;

/** The final (or `target:`) stage's FROM line when it is pinned to $BUILDPLATFORM: line and column of the flag. */
export function pinnedFinalStage(text: string, targetStage?: string): { line: number; column: number; raw: string } | undefined {
  const froms = logicalLines(text).filter((l) => /^\s*FROM\s/i.test(l.text));
  const wanted = targetStage?.toLowerCase();
  const final = wanted ? froms.find((l) => new RegExp(`\\sAS\\s+${literalRegExp(wanted)}\\s*$`, 'i').test(l.text)) : froms[froms.length - 1];
  if (!final) return undefined;
  const flag = final.text
    .trim()
    .split(/\s+/)
    .slice(1)
    .find((w) => BUILD_PLATFORM.test(w));
  if (!flag) return undefined;
  // The flag on its physical line (a FROM split over continuation lines reports its first line).
  const physical = text.split('\n')[final.line - 1] ?? '';
  const at = physical.indexOf(flag);
  return { line: final.line, column: at >= 0 ? at + 1 : 1, raw: flag };
}

/** A target exports an image unless every output is files (type=local or type=tar). */
function exportsImage(t: Target): boolean {
  return !t.outputs.length || t.outputs.some((o) => !/(^|,)type=(local|tar)(,|$)/.test(o));
}

/** One error per Dockerfile (and stage) that an image target builds with its final stage on the build platform. */
export function finalStageDiagnostics(targets: readonly Target[], textOf: (t: Target) => string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.dockerfile}\0${t.stage ?? ''}`;
    if (seen.has(key) || !exportsImage(t)) continue;
    seen.add(key);
    const pinned = pinnedFinalStage(textOf(t), t.stage);
    if (!pinned) continue;
    out.push(
      diagnostic({
        code: 'final-stage-build-platform',
        file: t.dockerfile,
        line: pinned.line,
        column: pinned.column,
        path: ['services', t.service],
        message: `the final stage of \`${t.name}\`${t.stage ? ` (target \`${t.stage}\`)` : ''} is pinned to the build platform (\`${pinned.raw}\`): every platform's image would hold the build platform's files`,
        hint: 'pin only the stages that build (`FROM --platform=$BUILDPLATFORM ... AS build`) and start the final stage without --platform (or with --platform=$TARGETPLATFORM), copying the cross-built files from the build stage',
      }),
    );
  }
  return out;
}
