// The placement checks (src/render/placement.ts) remember, per scanned text,
// each instruction's first line and joined text and the last quote scan, so a
// long RUN with many values is read once instead of once per value. That may
// never change an answer: for any text and any order of its values, they give
// the problems the plain checks give (test/helpers/placement-plain.ts, the
// code before the change), in the same order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDirectives } from '../../src/dockerfile/directives.js';
import { type Mark, markOutput, type Placed, placementProblems, unmarkPlaced } from '../../src/render/placement.js';
import { placementProblems as plainProblems } from '../helpers/placement-plain.js';

/** Pieces of Dockerfile text that move the checks: instructions, flags, quotes, escapes, continuations, comments, heredocs, directives. */
const piece = fc.constantFrom(
  'RUN ',
  'run ',
  'CMD ',
  'ENTRYPOINT ',
  'COPY ',
  'ADD --chown=0:0 ',
  'FROM ',
  'EXPOSE ',
  'ENV A=',
  'ONBUILD RUN ',
  'HEALTHCHECK --interval=1s CMD ',
  'RUN --mount=type=cache,target=/x ',
  'SHELL ',
  '\n',
  '\r\n',
  ' \\\n',
  '\\\n',
  '`\n',
  ' \\  \n',
  '# a comment\n',
  '  # indented comment\n',
  '\n\n',
  '"',
  "'",
  '\\',
  '`',
  ' ',
  '\t',
  '[',
  ',',
  '-',
  '""',
  "''",
  '--opt=',
  'echo ',
  'x',
  '<<EOF\n',
  '<<-EOF\n',
  'cat <<"EOF"\n',
  'EOF\n',
  '\tEOF\n',
  '# escape=`\n',
  '# syntax=docker/dockerfile:1\n',
);

/** A helper's output as printed, and the values it was given. */
const printed = fc.record({
  helper: fc.constantFrom('word', 'sh', 'json', 'ident', 'int'),
  values: fc.array(fc.constantFrom('v', '-x', '--y', 'a b', 'a\tb', '', "it's", 'a"b'), { minLength: 1, maxLength: 2 }),
  output: fc.constantFrom('"v"', "'v'", '["a","b"]', 'NAME', '80', '"-x"', "'-x'", '"a b"', "'it'\"'\"'s'", '"a\\"b"', '"a`"b"', '"x\\', "'a\nb'", '', '\\'),
});

const token = fc.oneof({ weight: 3, arbitrary: piece }, { weight: 1, arbitrary: printed });

/** The rendered text and where its values landed, as a render gives them (unmarkPlaced). */
function document(tokens: (string | { helper: string; values: string[]; output: string })[]): { text: string; placed: Placed[] } {
  const marks: Mark[] = [];
  const marked = tokens
    .map((t) => {
      if (typeof t === 'string') return t;
      marks.push({ helper: t.helper, values: t.values, line: marks.length + 1, column: 1 });
      return markOutput(marks.length - 1, t.output);
    })
    .join('');
  return unmarkPlaced(marked, marks);
}

function answers(problems: { mark: Mark; message: string; hint: string }[]): string[] {
  return problems.map((p) => `${p.mark.line}: ${p.message} (${p.hint})`);
}

describe('placement checks that remember answer as the plain ones', () => {
  it('for random texts, in the order the values were printed and in any other', () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 60 }), fc.constantFrom('\\', '`'), fc.nat(), (tokens, esc, seed) => {
        const { text, placed } = document(tokens);
        const plain = answers(plainProblems(text, placed, esc));
        expect(answers(placementProblems(text, placed, esc))).toEqual(plain);
        expect(answers(placementProblems(text, placed, esc, readDirectives(text).lineCount))).toEqual(plain);
        // Another order: each value is still judged by the text before it.
        const shuffled = [...placed].sort((a, b) => ((a.start * 7919 + seed) % 101) - ((b.start * 7919 + seed) % 101) || a.start - b.start);
        expect(answers(placementProblems(text, shuffled, esc))).toEqual(answers(plainProblems(text, shuffled, esc)));
        for (const p of placed) expect(answers(placementProblems(text, [p], esc))).toEqual(answers(plainProblems(text, [p], esc)));
      }),
      { numRuns: 3000 },
    );
  });

  it('a long RUN with many values: each judged by its own place', () => {
    const lines = ['RUN set -eu; \\'];
    const tokens: (string | { helper: string; values: string[]; output: string })[] = [lines[0]! + '\n'];
    for (let i = 0; i < 200; i++) {
      tokens.push('  tool ', { helper: 'sh', values: ['v'], output: "'v'" });
      // Every 50th value inside double quotes, every 70th starting with `-`: each one reported, the rest not.
      if (i % 50 === 0) tokens.push(' "', { helper: 'sh', values: ['v'], output: "'v'" }, '"');
      if (i % 70 === 0) tokens.push(' ', { helper: 'sh', values: ['-v'], output: "'-v'" });
      tokens.push('; \\\n', '  # a comment inside\n');
    }
    tokens.push('  true\n');
    const { text, placed } = document(tokens);
    const got = answers(placementProblems(text, placed, '\\'));
    expect(got).toEqual(answers(plainProblems(text, placed, '\\')));
    expect(got.filter((a) => a.includes('inside double quotes'))).toHaveLength(4);
    expect(got.filter((a) => a.includes('read as an option'))).toHaveLength(3);
  });
});
