// The fenced code blocks of a Markdown file, read one way for every test that
// checks documentation against the product (doc-blocks, docs, examples, readme,
// graph, the pre-commit recipes and the engine builds of the documented specs).
// CommonMark fences as the docs use them: a line that starts with three
// backticks opens a block (its info string is the language), the next such line
// closes it. https://spec.commonmark.org/0.31.2/#fenced-code-blocks
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './tree.js';

export interface Fence {
  /** The file, relative to the repository (or the name given for a text). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word ('' when none). */
  lang: string;
  /** The lines between the fences, each ending in a newline. */
  body: string;
  /** The nearest Markdown heading above the block, without its '#'s. */
  heading: string;
}

/** Every fenced block of a Markdown text. */
export function fences(text: string, file = ''): Fence[] {
  const lines = text.split('\n');
  const out: Fence[] = [];
  let heading = '';
  let open: { lang: string; start: number; heading: string } | undefined;
  lines.forEach((l, i) => {
    if (open === undefined && /^#{1,6} /.test(l)) heading = l.replace(/^#+ /, '').trim();
    if (!l.startsWith('```')) return;
    if (open === undefined) {
      open = { lang: l.slice(3).trim().split(/\s+/)[0] ?? '', start: i, heading };
      return;
    }
    const body = lines.slice(open.start + 1, i);
    out.push({ file, line: open.start + 1, lang: open.lang, body: body.length ? `${body.join('\n')}\n` : '', heading: open.heading });
    open = undefined;
  });
  return out;
}

/** The bodies of a text's blocks in one language. */
export function blocks(text: string, lang: string): string[] {
  return fences(text)
    .filter((f) => f.lang === lang)
    .map((f) => f.body);
}

/** The first block in `lang` under a heading; an error names what is missing. */
export function blockUnder(text: string, heading: string, lang: string): string {
  const found = fences(text).find((f) => f.heading === heading && f.lang === lang);
  if (!found) throw new Error(`no \`\`\`${lang} block under the heading "${heading}"`);
  return found.body;
}

/** A file of the repository, read. */
export function readDoc(file: string): string {
  return readFileSync(path.join(REPO_ROOT, file), 'utf8');
}

/** README.md and every page of docs/, relative to the repository. */
export function docFiles(): string[] {
  const pages = readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...pages];
}

/** Every block of a repository file. */
export function fencesOfFile(file: string): Fence[] {
  return fences(readDoc(file), file);
}
