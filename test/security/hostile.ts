// Hostile strings and the small codecs the escaping tests need: a YAML
// double-quoted writer that can produce any UTF-16 string (lone surrogates
// included), and a CSV reader that splits fields the way Go's encoding/csv
// (and so buildx) does.
import fc from 'fast-check';

/** What HCL, shells, Dockerfiles, CSV and YAML treat specially. */
export const SPECIAL = [
  '$',
  '{',
  '}',
  '%',
  '\\',
  '"',
  "'",
  '`',
  '\n',
  '\t',
  '\r',
  '${',
  '%{',
  '$${',
  '%%{',
  '${{',
  '}}',
  '\\n',
  '\\u0041',
  '\\$',
  '=',
  ',',
  ';',
  ' ',
  '#',
  '//',
  '/*',
  '<<EOF',
  '-',
  '--',
  '&',
  '|',
  '*',
  '?',
  '[',
  ']',
  ':',
  '@',
  '!',
  '~',
  '..',
  '/',
  '.',
];
export const UNUSUAL = [
  'é',
  'ß',
  '日本',
  'Ω',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '👋',
  '𝄞',
  '\u{10FFFD}',
  '\u0000',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u2066',
  '\u200f',
  'e\u0301',
  '\ud800',
  '\udc00',
];

export const hostile = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...SPECIAL) },
      { weight: 2, arbitrary: fc.constantFrom(...UNUSUAL) },
      { weight: 3, arbitrary: fc.string({ maxLength: 4 }) },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}$/) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

/** A YAML double-quoted scalar whose value is exactly `s` (any UTF-16, lone surrogates included). */
export function yamlQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s.slice(i, i + 2); // a proper pair: written as the character
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += `\\u${c.toString(16)}`; // a lone surrogate: only an escape can produce it
    } else out += ch;
  }
  return out + '"';
}

/** One CSV record, as Go's encoding/csv reads it (quoted fields, "" for a quote; a bare quote is an error). */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated quoted field in ${JSON.stringify(line)}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error(`extraneous text after a quoted field in ${JSON.stringify(line)}`);
    } else {
      while (i < line.length && line[i] !== ',') {
        if (line[i] === '"') throw new Error(`bare quote in an unquoted field in ${JSON.stringify(line)}`);
        field += line[i++];
      }
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}
