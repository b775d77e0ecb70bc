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
