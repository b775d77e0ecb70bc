// Where a hand-written Dockerfile is built: the folder its COPY and ADD sources
// are in. A Dockerfile kept in `docker/` or `deploy/` is often built with the
// folder above it as the context (`docker build -f docker/Dockerfile .`): its
// sources are paths relative to the context, not to the Dockerfile
// (https://docs.docker.com/reference/dockerfile/#copy: "relative to the
// source of the context of the build").
import { existsSync } from 'node:fs';
import path from 'node:path';
import { logicalLines } from '../dockerfile/directives.js';

/**
 * The local sources of COPY and ADD, relative to a context: not those of
 * `--from` (another stage or image), URLs and git sources, heredocs, and
 * sources with a variable or a wildcard (not checked); `.` is everywhere.
 */
export function copySources(text: string): string[] {
  const out = new Set<string>();
  for (const { text: line } of logicalLines(text)) {
    const m = /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m) continue;
    let rest = m[1]!.trim();
    let other = false;
    for (let flag = /^--(\S+)\s*/.exec(rest); flag; flag = /^--(\S+)\s*/.exec(rest)) {
      if (/^from=/i.test(flag[1]!)) other = true;
      rest = rest.slice(flag[0].length);
    }
    if (other || rest.includes('<<')) continue;
    for (const src of words(rest).slice(0, -1)) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || src.startsWith('git@') || /[$*?[\\]/.test(src)) continue;
      const clean = path.posix.normalize(src.replace(/^\/+/, '')).replace(/\/+$/, '');
      if (clean !== '.' && clean !== '' && !clean.startsWith('../')) out.add(clean);
    }
  }
  return [...out];
}

/** The words of a COPY in exec (JSON) or shell form. */
function words(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(rest);
      if (Array.isArray(list) && list.every((w) => typeof w === 'string')) return list as string[];
    } catch {
      // Not JSON: read as the shell form, as BuildKit does.
    }
  }
  return rest.split(/\s+/).filter(Boolean);
}

/**
 * `context`: the nearest folder from `dir` (relative to `root`, POSIX) up to
 * the root that holds every local source, when that is not `dir`; `missing`:
 * the sources no such folder holds (built before the image? then from where?).
 * Nothing when the Dockerfile copies nothing checkable or `dir` holds it all.
 */
export function dockerfileContext(root: string, dir: string, text: string): { context?: string; missing?: string[] } {
  const sources = copySources(text);
  if (!sources.length) return {};
  const holds = (at: string) => sources.every((s) => existsSync(path.join(root, at, s)));
  if (holds(dir)) return {};
  for (let at = dir; at !== '.'; ) {
    at = path.posix.dirname(at);
    if (holds(at)) return { context: at };
  }
  return { missing: sources.filter((s) => !existsSync(path.join(root, dir, s))) };
}
