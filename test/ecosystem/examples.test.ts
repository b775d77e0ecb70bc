// Every command shown in the README and docs/ (```sh, ```bash and ```console
// blocks) is one that exists as written: npm scripts are in package.json,
// scripts are in scripts/, `matrix` commands and each of their options are in
// that command's --help, and `matrix bake` examples run as a dry run on a
// sample. A command the test does not know is a failure, so a new example has
// to be classified here instead of drifting unchecked.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { docFiles, type Fence, fences, readDoc } from '../helpers/fences.js';
import { REPO_ROOT, removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

interface Example {
  file: string;
  line: number;
  words: string[];
}

/**
 * The simple commands of a shell line: words with '...' and "..." quoting and
 * no expansion (enough for documentation), split at `&&`, `||`, `;` and `|`
 * outside quotes, up to a `#` comment.
 */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) commands[commands.length - 1]!.push(word);
    word = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unbalanced ${c} in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, close);
      i = close;
    } else if (/\s/.test(c)) end();
    else if (c === '#' && word === undefined) break;
    else if (c === ';' || c === '|' || (c === '&' && text[i + 1] === '&')) {
      end();
      if (text[i + 1] === c) i++;
      commands.push([]);
    } else word = (word ?? '') + c;
  }
  end();
  return commands.filter((w) => w.length > 0);
}

/** The simple commands of one shell block (a `console` block's commands are its `$ ` lines). */
function blockCommands(fence: Fence): Example[] {
  const out: Example[] = [];
  const lines = fence.body.split('\n');
  let pending = '';
  let start = 0;
  lines.forEach((line, i) => {
    let cmd = line;
    if (fence.lang === 'console') {
      if (pending === '' && !line.startsWith('$ ')) return; // output
      if (pending === '') cmd = line.slice(2);
    }
    if (pending === '') start = fence.line + 1 + i;
    if (cmd.trimEnd().endsWith('\\')) {
      pending += `${cmd.trimEnd().slice(0, -1)} `;
      return;
    }
    const whole = pending + cmd;
    pending = '';
    for (const words of shellCommands(whole)) out.push({ file: fence.file, line: start, words });
  });
  return out;
}

/** The simple commands of a documentation file's shell blocks. */
export function examples(file: string, text: string): Example[] {
  return fences(text, file)
    .filter((f) => ['sh', 'bash', 'console'].includes(f.lang))
    .flatMap(blockCommands);
}

const all = docFiles().flatMap((f) => examples(f, readDoc(f)));
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Commands of other tools that examples show; they are the user's, not ours to run here. */
const EXTERNAL = new Set(['docker', 'buildkitd', 'git', 'cd', 'echo', '.', 'jq', 'dot', 'head']);

const where = (e: Example) => `${e.file}:${e.line}: ${e.words.join(' ')}`;

describe('commands in the README and docs/', () => {
  it('finds the examples (the parser reads every shell block)', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((e) => e.file === 'README.md' && e.words.join(' ') === 'npm test')).toBe(true);
  });

  it('every command is one this test knows how to check', () => {
    const unknown = all.filter((e) => {
      const [cmd, sub] = e.words;
      if (EXTERNAL.has(cmd!)) return false;
      if (cmd === 'npx') return !['matrix', 'husky', 'lint-staged'].includes(sub!);
      return !['npm', 'bash', 'node', 'matrix', 'matrix-hook'].includes(cmd!);
    });
    expect(unknown.map(where)).toEqual([]);
  });

  it('npm scripts exist in package.json; scripts exist in scripts/', () => {
    for (const e of all) {
      const [cmd, sub, name] = e.words;
      if (cmd === 'npm' && sub === 'run') expect(pkg.scripts, where(e)).toHaveProperty([name!]);
      if (cmd === 'npm' && sub === 'test') expect(pkg.scripts, where(e)).toHaveProperty(['test']);
      if (cmd === 'npm') expect(['ci', 'test', 'run', 'install', 'pack'], where(e)).toContain(sub);
      if (cmd === 'bash' || cmd === 'node') expect(existsSync(path.join(REPO_ROOT, sub!)), where(e)).toBe(true);
    }
  });

  it('options given to a script are options it reads', () => {
    for (const e of all.filter((x) => (x.words[0] === 'node' || x.words[0] === 'bash') && x.words[1]!.startsWith('scripts/'))) {
      const source = readFileSync(path.join(REPO_ROOT, e.words[1]!), 'utf8');
      for (const o of e.words.slice(2).filter((w) => w.startsWith('--'))) expect(source, where(e)).toContain(o.split('=')[0]);
    }
  });

  /** `matrix ...` words of an example, also through `npx matrix` and `npm run demo -- ...`. */
  const matrixCalls = all.flatMap((e) => {
    const w = e.words;
    // bin/matrix-hook takes `gen` and its options, and hands anything else to matrix as it is.
    if (w[0] === 'matrix' || w[0] === 'matrix-hook') return [{ e, args: w.slice(1) }];
    if (w[0] === 'npx' && w[1] === 'matrix') return [{ e, args: w.slice(2) }];
    if (w[0] === 'npm' && w[1] === 'run' && w[3] === '--') {
      // The script's last `matrix` command is the one that receives the extra arguments.
      const script = pkg.scripts[w[2]!]!;
      const last = /bin\/matrix\.cjs ([a-z-]+)[^&]*$/.exec(script);
      return last ? [{ e, args: [last[1]!, ...w.slice(4)] }] : [];
    }
    return [];
  });

  it('every `matrix` command exists, with options that its --help lists', async () => {
    expect(matrixCalls.length).toBeGreaterThan(5);
    const dir = tempDir();
    const help = new Map<string, string>();
    for (const { e, args } of matrixCalls) {
      const command = args[0]!;
      if (command.startsWith('-')) continue; // `matrix --help`
      if (!help.has(command)) {
        const r = await matrix([command, '--help'], dir);
        expect(r.status, `${where(e)}\n${r.stderr}`).toBe(0);
        help.set(command, r.stdout);
      }
      for (const o of args.slice(1).filter((w) => w.startsWith('--'))) {
        const name = o.split('=')[0]!.replace(/^--no-/, '--');
        expect(help.get(command), where(e)).toMatch(new RegExp(`(^|[\\s,])${name}(?![\\w-])`, 'm'));
      }
    }
  });

  /**
   * `matrix ...` in the prose's inline code (`matrix templates java`, `matrix graph [--format
   * mermaid\|dot]`): its command and the options it names. benchmarks.md is generated and
   * abbreviates its commands (`--set ...`).
   */
  const inline = docFiles()
    .filter((f) => f !== 'docs/benchmarks.md')
    .flatMap((file) => {
      const prose = readDoc(file).replace(/^```[\s\S]*?^```$/gm, '');
      return [...prose.matchAll(/`(?:npx )?matrix ([a-z][a-z-]*)((?: [^`]*)?)`/g)].map((m) => ({
        where: `${file}: ${m[0]}`,
        command: m[1]!,
        options: [...m[2]!.matchAll(/(?:^|[\s[])(--?[a-z][a-z-]*)/g)].map((o) => o[1]!),
      }));
    });

  it('every `matrix` command in the inline code of the prose exists, with options that its --help lists', async () => {
    expect(inline.length).toBeGreaterThan(20);
    expect(inline.map((i) => i.where)).toContain('README.md: `matrix templates java`');
    const dir = tempDir();
    const help = new Map<string, { status: number | null; stdout: string }>();
    for (const { where, command, options } of inline) {
      if (!help.has(command)) help.set(command, await matrix([command, '--help'], dir));
      const h = help.get(command)!;
      expect(h.status, where).toBe(0);
      for (const o of options) {
        const name = o.replace(/^--no-/, '--');
        expect(h.stdout, where).toMatch(new RegExp(`(^|[\\s,])${name}(?![\\w-])`, 'm'));
      }
    }
    // And the positional words of `matrix templates NAME` are templates it lists.
    for (const { where } of inline.filter((i) => i.command === 'templates')) {
      const words = /`(?:npx )?matrix templates ([^`]*)`/.exec(where)?.[1]?.split(' ') ?? [];
      const names = words.filter((w) => /^[a-z]+$/.test(w));
      if (names.length) expect((await matrix(['templates', ...names], dir)).status, where).toBe(0);
    }
  });

  it('`matrix bake` examples run (as a dry run) on samples/hello-go', async () => {
    const dir = tempDir('matrix-examples-');
    cpSync(path.join(REPO_ROOT, 'samples', 'hello-go'), dir, { recursive: true });
    const bakes = matrixCalls.filter(({ args }) => args[0] === 'bake');
    expect(bakes.length).toBeGreaterThan(0);
    for (const { e, args } of bakes) {
      // Targets of other examples' specs are not in this sample; options are what is checked.
      const options = args
        .slice(1)
        .filter((w, i, a) => w.startsWith('-') || (i > 0 && a[i - 1]!.startsWith('--') && !a[i - 1]!.includes('=') && !/^--(push|load|print|no-cache|pull|json|dry-run)$/.test(a[i - 1]!)));
      const r = await matrix(['bake', ...options.map((w) => w.replaceAll('$MATRIX_TOOLCHAIN_IMAGE', 'golang:1.24')), '--dry-run'], dir, { MATRIX_DOCKER: '/bin/true' });
      expect(r.status, `${where(e)}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout, where(e)).toContain('buildx bake');
    }
  });
});
