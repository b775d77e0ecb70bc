import { describe, expect, it } from 'vitest';
import { parseTemplate, TemplateError, wrap } from '../../src/render/template.js';

const FRONT = ['{{!--', 'description: test', 'params:', '  x:', '    default: "v"', '--}}'].join('\n');

function render(body: string, withValues: Record<string, unknown>, front = true): string {
  const t = parseTemplate('t.hbs', front ? `${FRONT}\n${body}` : body);
  return t.render(wrap({ with: withValues, args: [], matrix: {} }) as object);
}

function renderError(body: string, withValues: Record<string, unknown>, source?: string): TemplateError {
  try {
    const t = parseTemplate('t.hbs', source ?? `${FRONT}\n${body}`);
    t.render(wrap({ with: withValues }) as object);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('template front matter', () => {
  it('reads description and params', () => {
    const t = parseTemplate('t.hbs', `${FRONT}\nFROM x\n`);
    expect(t.meta.description).toBe('test');
    expect(t.meta.params).toEqual({ x: { default: 'v' } });
  });

  it('reports the body line where the template starts', () => {
    // FRONT is six lines; the body begins on line 7.
    expect(parseTemplate('t.hbs', `${FRONT}\nFROM x\n`).bodyLine).toBe(7);
    expect(parseTemplate('t.hbs', 'FROM x\n').bodyLine).toBe(1);
  });

  it('reports invalid front matter YAML as a TemplateError', () => {
    expect(() => parseTemplate('t.hbs', '{{!--\nparams: [\n--}}\nFROM x\n')).toThrow(TemplateError);
  });
});

describe('template helpers', () => {
  it('word: a double-quoted Dockerfile word escaping ", $ and \\', () => {
    expect(render('{{word with.x}}', { x: 'a "b" $HOME \\ c' })).toBe('"a \\"b\\" \\$HOME \\\\ c"');
  });

  it('word: uses the escape character from a `# escape=` directive', () => {
    const out = render('# escape=`\nFROM x\nLABEL a={{word with.x}}', { x: 'C:\\dir "q" $v `t' });
    expect(out.split('\n')[2]).toBe('LABEL a="C:\\dir `"q`" `$v ``t"');
  });

  it('sh: a single-quoted shell word, quotes spliced safely', () => {
    expect(render('{{sh with.x}}', { x: "it's $(rm -rf /) `x` \\" })).toBe(`'it'"'"'s $(rm -rf /) \`x\` \\'`);
  });

  it('json: an exec-form array, one element or many', () => {
    expect(render('{{json with.x}}', { x: 'a "b" \\ é' })).toBe('["a \\"b\\" \\\\ é"]');
    expect(render('{{json with.x}}', { x: ['a', 'b c'] })).toBe('["a","b c"]');
  });

  it('ident and int validate instead of escaping', () => {
    expect(render('{{ident with.x}}', { x: 'GO_VERSION' })).toBe('GO_VERSION');
    expect(render('{{int with.x}}', { x: '8080' })).toBe('8080');
    expect(() => render('{{ident with.x}}', { x: 'A B' })).toThrow(TemplateError);
    expect(() => render('{{int with.x}}', { x: '80; rm' })).toThrow(TemplateError);
  });

  it('concat joins values and stays wrapped', () => {
    expect(render('{{sh (concat "/out/" with.x)}}', { x: 'b' })).toBe("'/out/b'");
    expect(() => render('{{concat "/out/" with.x}}', { x: 'b' })).toThrow(TemplateError);
  });

  it('every helper refuses values with line breaks or control characters', () => {
    for (const h of ['word', 'sh', 'json', 'ident', 'int']) {
      expect(() => render(`{{${h} with.x}}`, { x: 'a\nb' }), h).toThrow(TemplateError);
      expect(() => render(`{{${h} with.x}}`, { x: 'a\u0000b' }), h).toThrow(TemplateError);
    }
  });

  it('a plain {{with.x}} without a helper fails instead of printing the raw value', () => {
    const e = renderError('FROM x\nLABEL a={{with.x}}\n', { x: 'v' });
    expect(e.message).toBeTruthy();
  });

  it('a triple-stash {{{with.x}}} fails as well', () => {
    renderError('FROM x\nLABEL a={{{with.x}}}\n', { x: 'v' });
  });

  it('does not HTML-escape helper output', () => {
    expect(render('{{word with.x}}', { x: "a=b&c<d>'`" })).toBe('"a=b&c<d>\'`"');
  });

  it('eq compares unwrapped values', () => {
    expect(render('{{#if (eq with.x "y")}}yes{{else}}no{{/if}}', { x: 'y' })).toBe('yes');
  });

  // Where a template error is: the file line (front matter counted) and a column
  // inside the offending mustache.
  function expectInside(e: TemplateError, source: string, mustache: string): void {
    const idx = source.indexOf(mustache);
    const before = source.slice(0, idx);
    const line = before.split('\n').length;
    const start = idx - before.lastIndexOf('\n');
    expect({ line: e.line, inMustache: e.column >= start && e.column < start + mustache.length }).toEqual({ line, inMustache: true });
  }

  it('a missing variable passed to a helper fails with its line and column in the file', () => {
    const body = 'FROM x\nRUN true\nLABEL a={{word with.nope}}\n';
    const e = renderError(body, {});
    expectInside(e, `${FRONT}\n${body}`, '{{word with.nope}}');
  });

  it('a missing variable printed plainly fails in strict mode, located in the file', () => {
    const body = 'FROM x\nRUN true\nLABEL a={{with.nope}}\n';
    const e = renderError(body, {});
    expectInside(e, `${FRONT}\n${body}`, '{{with.nope}}');
  });

  it('a missing variable without front matter is located too', () => {
    const source = 'FROM x\n  {{word with.nope}}\n';
    expectInside(renderError('', {}, source), source, '{{word with.nope}}');
  });

  it('a helper refusing a value says where', () => {
    const body = 'FROM x\nARG {{ident with.x}}\n';
    expectInside(renderError(body, { x: 'not a name' }), `${FRONT}\n${body}`, '{{ident with.x}}');
  });

  it('a syntax error is a TemplateError at load, with its file line', () => {
    let err: unknown;
    try {
      // Body line 2 is file line 8.
      parseTemplate('t.hbs', `${FRONT}\nFROM x\nRUN {{/if}}\nFROM y\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).line).toBe(8);
  });

  it('templates share no helper state', () => {
    const a = parseTemplate('a.hbs', '{{word with.x}}');
    const b = parseTemplate('b.hbs', '# escape=`\n{{word with.x}}');
    expect(b.render(wrap({ with: { x: '$' } }) as object)).toBe('# escape=`\n"`$"');
    expect(a.render(wrap({ with: { x: '$' } }) as object)).toBe('"\\$"');
  });
});

// Errors raised while a template renders, each at the `{{...}}` that failed. Handlebars'
// own helpers throw without a position ("#if requires exactly one argument",
// "Must pass iterator to #each": handlebars-lang/handlebars lib/handlebars/helpers/if.js,
// each.js, with.js), and a path through a missing value (`wiht.x`) was a TypeError of
// the compiled code (lib/handlebars/compiler/javascript-compiler.js strictLookup reads
// every step but the last without a check). Calls are checked on the syntax tree, at
// load; a missing step of a path is Handlebars' located "not defined" (runtime.js
// container.strict).
describe('template errors while rendering are located', () => {
  function expectAt(body: string, mustache: string, message: RegExp, withValues: Record<string, unknown> = { x: 'v', l: ['a'] }): TemplateError {
    const e = renderError(body, withValues);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
    const source = `${FRONT}\n${body}`;
    const idx = source.indexOf(mustache);
    expect(idx, `${mustache} in the source`).toBeGreaterThanOrEqual(0);
    const before = source.slice(0, idx);
    const start = idx - before.lastIndexOf('\n');
    expect({ line: e.line, inMustache: e.column >= start && e.column < start + mustache.length }).toEqual({ line: before.split('\n').length, inMustache: true });
    return e;
  }

  it.each([
    ['#each without a list', 'FROM x\n{{#each}}RUN true{{/each}}\n', '{{#each}}', /`\{\{#each\}\}` takes exactly one argument, got none/],
    ['#each with two', 'FROM x\n{{#each with.l with.l}}RUN true{{/each}}\n', '{{#each with.l with.l}}', /takes exactly one argument, got 2/],
    ['#each inverse without a list', 'FROM x\n{{^each}}RUN true{{/each}}\n', '{{^each}}', /takes exactly one argument/],
    ['#if without a condition', 'FROM x\nRUN true\n{{#if}}RUN a{{/if}}\n', '{{#if}}', /`\{\{#if\}\}` takes exactly one argument, got none/],
    ['#if with two', 'FROM x\n{{#if with.x with.x}}RUN a{{/if}}\n', '{{#if with.x with.x}}', /got 2/],
    ['else if without a condition', 'FROM x\n{{#if with.x}}RUN a{{else if}}RUN b{{/if}}\n', '{{else if}}', /`\{\{#if\}\}` takes exactly one argument/],
    ['#unless without a condition', 'FROM x\n{{#unless}}RUN a{{/unless}}\n', '{{#unless}}', /takes exactly one argument/],
    ['#with without a value', 'FROM x\n{{#with}}RUN a{{/with}}\n', '{{#with}}', /takes exactly one argument/],
    ['#if nested in #each', 'FROM x\n{{#each with.l}}\n{{#if}}RUN a{{/if}}\n{{/each}}\n', '{{#if}}', /takes exactly one argument/],
    ['a named argument #each ignores', 'FROM x\n{{#each with.l key="x"}}RUN a{{/each}}\n', '{{#each with.l key="x"}}', /no named argument `key=`/],
    ['lookup without arguments', 'FROM x\nRUN {{sh (lookup)}}\n', '(lookup)', /`\(lookup\)` takes exactly 2 arguments, got none/],
    ['eq with one', 'FROM x\n{{#if (eq with.x)}}RUN a{{/if}}\n', '(eq with.x)', /takes exactly 2 arguments, got one/],
    ['concat of nothing', 'FROM x\nRUN {{sh (concat)}}\n', '(concat)', /takes at least one argument/],
    ['sh with two values', 'FROM x\nRUN {{sh with.x with.x}}\n', '{{sh with.x with.x}}', /takes exactly one argument, got 2/],
    ['a block of a printing helper', 'FROM x\n{{#word with.x}}RUN a{{/word}}\n', '{{#word with.x}}', /is not a block/],
    ['a block helper in a subexpression', 'FROM x\nRUN {{sh (if with.x)}}\n', '(if with.x)', /`if` is a block helper/],
    ['an unknown helper in a block', 'FROM x\n{{#foo with.x}}RUN a{{/foo}}\n', '{{#foo with.x}}', /`foo` is not a helper/],
    ['an unknown helper in a subexpression', 'FROM x\nRUN {{sh (wrod with.x)}}\n', '(wrod with.x)', /`wrod` is not a helper/],
    ['log, which writes to the console', 'FROM x\n{{#if (log "hello")}}RUN a{{/if}}\n', '(log "hello")', /`log` is not a helper/],
    ['runtime given a value', 'FROM x\n{{runtime with.x}}\n', '{{runtime with.x}}', /\{\{runtime\}\} takes the template's `with`, got one value/],
    ['a list of a missing value', 'FROM x\nCMD {{json (list "a" with.nope)}}\n', '(list "a" with.nope)', /\{\{list\}\}: argument 2 is not defined/],
  ])('%s', (_, body, mustache, message) => {
    expectAt(body, mustache, message);
  });

  it.each([
    ['a misspelt context field in #if', 'FROM x\n{{#if wiht.x}}RUN a{{/if}}\n', 'wiht.x', /template uses `wiht`, which is not defined/, /did you mean `with`/],
    ['a misspelt context field in a helper', 'FROM x\nRUN {{sh wiht.x}}\n', 'wiht.x', /template uses `wiht`/, /did you mean `with`/],
    ['a path through a missing parameter', 'FROM x\n{{#if with.nope.deeper}}RUN a{{/if}}\n', 'with.nope.deeper', /template uses `with.nope`, which is not defined/, /front matter `params`/],
    ['a path through a missing data field', 'FROM x\nRUN {{sh @root.nope.x}}\n', '@root.nope.x', /template uses `@root.nope`/, /a parameter is `with.NAME`/],
    ['a path through a block parameter', 'FROM x\n{{#each with.m as |v|}}RUN {{sh v.a.b}}{{/each}}\n', 'v.a.b', /template uses `v.a`/, /./],
  ])('%s (was a TypeError of the compiled code, with no position)', (_, body, mustache, message, hint) => {
    const e = expectAt(body, mustache, message, { x: 'v', m: { k: { other: 'x' } } });
    expect(e.hint).toMatch(hint);
  });

  it('a missing last step in #if is false, as in Handlebars (a matrix key only some cells have)', () => {
    expect(render('{{#if matrix.extra}}yes{{else}}no{{/if}}', {})).toBe('no');
    expect(render('{{#if with.x.length}}yes{{else}}no{{/if}}', { x: 'abc' })).toBe('no');
  });

  it('#each over one value runs its block once with it, as over a list of that value', () => {
    // A list parameter takes one value too (README, kinds `relative-paths`, `debian-packages`, `text`);
    // Handlebars' each (helpers/each.js) iterates arrays, iterables and object keys, and ran nothing for it.
    expect(render('{{#each with.x}}[{{sh this}}]{{/each}}', { x: 'static' })).toBe("['static']");
    expect(render('{{#each with.x}}[{{sh this}}]{{/each}}', { x: ['a', 'b'] })).toBe("['a']['b']");
    expect(render('{{#each with.x}}[{{sh this}}]{{else}}none{{/each}}', { x: [] })).toBe('none');
    expect(render('{{#each with.x}}{{@index}}:{{@first}}:{{@last}}{{/each}}', { x: 'one' })).toBe('0:true:true');
  });

  it('a template that calls `log` writes nothing to the console', () => {
    const logs: unknown[] = [];
    const saved = { log: console.log, info: console.info, error: console.error, warn: console.warn };
    Object.assign(console, { log: (...a: unknown[]) => logs.push(a), info: (...a: unknown[]) => logs.push(a), error: (...a: unknown[]) => logs.push(a), warn: (...a: unknown[]) => logs.push(a) });
    try {
      expect(() => render('{{#if (log "hello")}}a{{/if}}', {})).toThrow(TemplateError);
      expect(() => render('{{#log}}a{{/log}}', {})).toThrow(TemplateError);
    } finally {
      Object.assign(console, saved);
    }
    expect(logs).toEqual([]);
  });

  it('the built-in helpers still work as documented', () => {
    expect(render('{{#if with.x includeZero=true}}y{{/if}}{{#unless with.x}}n{{/unless}}{{#with with}}{{sh x}}{{/with}}', { x: 'v' })).toBe("y'v'");
    expect(render('{{sh (lookup with "x")}} {{json (list)}} {{word (concat "a" with.x "b")}}', { x: 'v' })).toBe('\'v\' [] "avb"');
    expect(render('{{#with.x}}section{{/with.x}}', { x: 'v' })).toBe('section');
  });
});
