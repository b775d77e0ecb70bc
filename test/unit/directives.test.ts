// Parser directives read as BuildKit's Dockerfile frontend reads them.
// Reference: moby/buildkit frontend/dockerfile/parser/directives.go
// (DirectiveParser.ParseLine: `#` prefix, white space trimmed, key
// [a-zA-Z][a-zA-Z0-9]*, case-insensitive, only syntax/escape/check, the first
// other line ends the directives, a duplicate is "only one X parser directive
// can be used"), parser.go (Parse: BOM dropped, leading white space stripped,
// setEscapeToken accepts only ` and \, continuation regex `([^E])E[ \t]*$|^E[ \t]*$`,
// comment and empty lines skipped inside a continued instruction) and
// https://docs.docker.com/reference/dockerfile/#parser-directives.
import { describe, expect, it } from 'vitest';
import { leadingDirectives, logicalLines, readDirectives } from '../../src/dockerfile/directives.js';
import { fromImages, parseStages } from '../../src/dockerfile/stages.js';
import { parseTemplate, TemplateError, wrap } from '../../src/render/template.js';

describe('readDirectives (BuildKit directives.go)', () => {
  it.each([
    ['# escape=`\nFROM x', '`'],
    ['#escape=`\nFROM x', '`'],
    ['# ESCAPE = `\nFROM x', '`'], // key case-insensitive, spaces around `=`
    ['  \t# escape=`  \nFROM x', '`'], // leading and trailing white space trimmed
    ['\uFEFF# escape=`\nFROM x', '`'], // byte order mark dropped
    ['# escape=`\r\nFROM x', '`'], // CRLF
    ['# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM x', '`'],
    ['# escape=\\\nFROM x', '\\'],
  ])('%j uses escape character %s', (text, esc) => {
    const d = readDirectives(text);
    expect(d.error).toBeUndefined();
    expect(d.escapeChar).toBe(esc);
  });

  it.each([
    ['FROM x\n# escape=`', 'after an instruction'],
    ['\n# escape=`', 'after an empty line'],
    ['# hello\n# escape=`', 'after a plain comment'],
    ['# unknown=1\n# escape=`', 'after an unknown directive (it ends the directives, no error)'],
    ['# directive with space=1\n# escape=`', 'after a comment whose key has a space'],
    ['# syntax=x\n\n# escape=`', 'after an empty line between directives'],
  ])('%j is no escape directive (%s)', (text) => {
    const d = readDirectives(text);
    expect(d.error).toBeUndefined();
    expect(d.escapeChar).toBe('\\');
  });

  it('a duplicate directive and an escape other than ` or \\ are errors, with the line', () => {
    expect(readDirectives('# escape=`\n# Escape=\\\nFROM x').error).toEqual({ line: 2, message: expect.stringContaining('only one') });
    expect(readDirectives('# syntax=a\n# check=x\n# SYNTAX=b').error?.line).toBe(3);
    expect(readDirectives('# escape=x\nFROM x').error?.line).toBe(1);
    expect(readDirectives('# escape=``\nFROM x').error?.line).toBe(1);
  });

  it('a directive with no value is not a directive (the regexp needs .+)', () => {
    expect(readDirectives('# escape=\n# escape=`').escapeChar).toBe('\\');
  });

  it('leadingDirectives: exactly the lines BuildKit reads as directives', () => {
    expect(leadingDirectives('# syntax=a\n  # ESCAPE=`\n# unknown=1\nFROM x')).toEqual(['# syntax=a', '  # ESCAPE=`']);
  });
});

describe('logicalLines (parser.go continuation rules)', () => {
  it("joins continuations with the directive's escape character and skips comments and empty lines inside", () => {
    const text = '# escape=`\nFROM a AS b\nRUN echo 1 `\n# a comment\n\n  echo 2\\\nCOPY x y';
    expect(logicalLines(text).map((l) => [l.line, l.text])).toEqual([
      [2, 'FROM a AS b'],
      [3, 'RUN echo 1   echo 2\\'],
      [7, 'COPY x y'],
    ]);
  });

  it('a backslash continues with the default escape character, spaces after it allowed', () => {
    expect(logicalLines('FROM \\  \n  x AS y').map((l) => l.text)).toEqual(['FROM   x AS y']);
  });

  it('an escape character escaped by another one does not continue the line (parser.go setEscapeToken regex)', () => {
    expect(logicalLines('FROM a\nRUN echo \\\\\nCOPY x y').map((l) => l.text)).toEqual(['FROM a', 'RUN echo \\\\', 'COPY x y']);
    expect(logicalLines('# escape=`\nRUN a ``\nRUN b `\n`\n  c').map((l) => l.text)).toEqual(['RUN a ``', 'RUN b   c']);
    expect(logicalLines('RUN a \\\n\t# c\n \t\nb \\\t\n').map((l) => l.text)).toEqual(['RUN a b ']);
  });

  it('a continuation of 100k lines is joined in one pass (was quadratic)', () => {
    const n = 100_000;
    const text = `FROM scratch\nRUN a \\\n${'b \\\n'.repeat(n)}c\nCOPY x y\n`;
    const lines = logicalLines(text);
    expect(lines.map((l) => l.line)).toEqual([1, 2, n + 4]);
    expect(lines[1]!.text).toBe(`RUN a ${'b '.repeat(n)}c`);
    expect(lines[2]!.text).toBe('COPY x y');
  });

  it('plan and init read stages and FROM images through it (continued FROM, escape directive)', () => {
    const df = '# escape=`\nFROM --platform=$BUILDPLATFORM `\n  golang AS build\nRUN go build\nFROM `\n  scratch\nCOPY --from=build /a /a\n';
    expect(parseStages(df).map((s) => [s.base, s.name ?? '', s.platformFlag ?? ''])).toEqual([
      ['golang', 'build', '$BUILDPLATFORM'],
      ['scratch', '', ''],
    ]);
    expect(fromImages(df)).toEqual(['golang', 'scratch']);
    // Not a directive (after a comment): the backtick is an ordinary character, `\` continues.
    expect(fromImages('# hi\n# escape=`\nFROM \\\n  alpine\n')).toEqual(['alpine']);
  });
});

describe('templates: the escape character of the RENDERED Dockerfile', () => {
  const FRONT = '{{!--\nparams:\n  x: { default: "v" }\n  on: { default: "yes" }\n--}}\n';
  const render = (body: string, w: Record<string, unknown>) => parseTemplate('t.hbs', FRONT + body).render(wrap({ with: w, args: [] }) as object);

  it('a directive produced by a block is honoured: values are escaped with `', () => {
    const out = render('{{#if with.on}}# escape=`\n{{/if}}FROM x\nLABEL a={{word with.x}}', { x: 'a"$b', on: 'yes' });
    expect(out).toBe('# escape=`\nFROM x\nLABEL a="a`"`$b"');
  });

  it('a `# escape=` that BuildKit does not read as a directive (after a comment) does not change escaping', () => {
    const out = render('# hello\n# escape=`\nFROM x\nLABEL a={{word with.x}}', { x: 'a"b\\' });
    expect(out.split('\n')[3]).toBe('LABEL a="a\\"b\\\\"');
  });

  it('upper-case and spaced directives are honoured like BuildKit does', () => {
    const out = render('  #  ESCAPE =  `  \nFROM x\nLABEL a={{word with.x}}', { x: '$' });
    expect(out.split('\n')[2]).toBe('LABEL a="`$"');
  });

  it('duplicate directives in the rendered text are a located template error', () => {
    const t = parseTemplate('t.hbs', FRONT + '# escape=`\n# escape=\\\nFROM x\n');
    let err: unknown;
    try {
      t.render(wrap({ with: { x: 'v' }, args: [] }) as object);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    // Front matter is 5 lines: the body's line 2 is the file's line 7.
    expect((err as TemplateError).line).toBe(7);
  });
});

describe('templates with the characters the placement markers use', () => {
  it('are refused at load, located', () => {
    let err: unknown;
    try {
      parseTemplate('t.hbs', 'FROM x\nLABEL a=\u0001b\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect([(err as TemplateError).line, (err as TemplateError).column]).toEqual([2, 9]);
  });
});
