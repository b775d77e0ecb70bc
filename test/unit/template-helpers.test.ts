// The printing helpers read each value once (src/render/template.ts
// createEnv, `printing`), check them with stringProblem (which answers a
// printable-ASCII value at once), and quote words with a pattern made once for
// the usual escape character.
// None of that may change what a helper prints or refuses: a refused value is
// refused every time, whatever was printed before it, and each escape
// character quotes as its own.
import { describe, expect, it } from 'vitest';
import { isTemplateValue, parseTemplate, TemplateError, templateValue, wrap } from '../../src/render/template.js';
import { stringProblem } from '../../src/validate/strings.js';

const FRONT = ['{{!--', 'description: test', 'params:', '  x:', '    default: "v"', '--}}'].join('\n');

function outcome(body: string, x: unknown): string {
  try {
    return `ok:${parseTemplate('t.hbs', `${FRONT}\n${body}`).render(wrap({ with: { x }, args: [], matrix: {} }) as object)}`;
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    const err = e as TemplateError;
    return `${err.line}:${err.column}:${err.message}`;
  }
}

describe('printing helpers', () => {
  const bodies = ['FROM {{word with.x}}', 'RUN a {{sh with.x}}', 'CMD {{json with.x}}', 'ARG {{ident with.x}}', 'EXPOSE {{int with.x}}', 'RUN {{sh (concat "/" with.x)}}'];
  const values = ['v', '80', 'a b', "it's", 'a"b$c\\d', '-x', 'a\nb', 'a\tb', 'nul\u0000', 'e\u0301', '\u202e', 'lone\ud800', ''];

  it('print and refuse each value the same, the first time and after every other value', () => {
    const first = new Map(bodies.flatMap((b) => values.map((v) => [`${b}|${v}`, outcome(b, v)] as const)));
    for (const v of values) {
      // A value stringProblem refuses is refused by every helper, however often the clean ones were printed.
      if (stringProblem(v, false)) for (const b of bodies) expect(first.get(`${b}|${v}`)).toMatch(/value /);
    }
    for (const b of [...bodies].reverse()) for (const v of [...values].reverse()) expect(outcome(b, v)).toBe(first.get(`${b}|${v}`));
    expect(first.get('FROM {{word with.x}}|a"b$c\\d')).toBe('ok:FROM "a\\"b\\$c\\\\d"');
    expect(first.get("RUN a {{sh with.x}}|it's")).toBe(`ok:RUN a 'it'"'"'s'`);
    expect(first.get('CMD {{json with.x}}|a b')).toBe('ok:CMD ["a b"]');
    expect(first.get('ARG {{ident with.x}}|a b')).toBe('7:5:{{ident}}: "a b" is not a name');
  });

  it('quote with the escape character of each render, one after the other', () => {
    const plain = parseTemplate('a.hbs', `${FRONT}\nFROM {{word with.x}}`);
    const backtick = parseTemplate('b.hbs', `${FRONT}\n# escape=\`\nFROM {{word with.x}}`);
    const ctx = () => wrap({ with: { x: 'a"`$\\' } }) as object;
    for (let i = 0; i < 3; i++) {
      expect(plain.render(ctx())).toBe('FROM "a\\"`\\$\\\\"');
      expect(backtick.render(ctx())).toBe('# escape=`\nFROM "a`"```$\\"');
    }
  });

  it('wrapped values keep their text out of reach of a template', () => {
    const v = templateValue('secret');
    expect(isTemplateValue(v)).toBe(true);
    expect(Object.keys(v)).toEqual([]);
    expect(Object.getOwnPropertyNames(v)).toEqual([]);
    expect(`${v as unknown as string}`).not.toContain('secret');
    expect(outcome('FROM {{with.x}}', 'secret')).toMatch(/prints without an escaping helper/);
  });
});
