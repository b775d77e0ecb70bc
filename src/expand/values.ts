// Matrix values as GitHub's expression engine sees them. The include and
// exclude filters of a matrix are expressions `matrix['KEY'] == VALUE`
// (actions/runner src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs), so what
// "equal" means, how a string becomes a number and how a number becomes text
// all come from that engine's C# code, restated here in TypeScript:
// - equality: src/Sdk/Expressions/EvaluationResult.cs (AbstractEqual, CoerceTypes, ConvertToNumber)
// - string to number: src/Sdk/Expressions/Sdk/ExpressionUtility.cs (ParseNumber)
// - number to text: EvaluationResult.cs ConvertToString with format "G15" (ExpressionConstants.cs)
// - case: .NET's StringComparison.OrdinalIgnoreCase, which also names keys
//   (DictionaryExpressionData.cs, TemplateReader.cs).
import type { Scalar } from '../spec.js';

/**
 * Code points whose full upper case (what `toUpperCase` gives) is several code
 * points but whose simple, one-to-one upper case is another single code point:
 * the Greek small letters with ypogegrammeni (iota subscript). Every other code
 * point with a multi-code-point upper case (ß, ﬁ, ŉ, ...) has no simple upper
 * case and stays itself. Checked against UnicodeData's simple mappings.
 */
function simpleUpperException(cp: number): number | undefined {
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7)) return cp + 8;
  if (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3) return cp + 9;
  return undefined;
}

const upperCache = new Map<number, number>();

/**
 * The simple upper case of one code point, as .NET's ordinal ignore-case
 * comparison applies it: one code point in, one out. The dotless i (ı) keeps
 * itself there (.NET's invariant casing leaves it alone rather than making it `I`).
 */
function simpleUpper(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 0x20 : cp;
  if (cp === 0x131) return cp;
  let u = upperCache.get(cp);
  if (u !== undefined) return u;
  const special = simpleUpperException(cp);
  if (special !== undefined) u = special;
  else {
    const full = String.fromCodePoint(cp).toUpperCase();
    const first = full.codePointAt(0)!;
    u = full.length === (first > 0xffff ? 2 : 1) ? first : cp;
  }
  if (upperCache.size < 4096) upperCache.set(cp, u);
  return u;
}

/**
 * `String.Equals(a, b, StringComparison.OrdinalIgnoreCase)`: strings of
 * different lengths (in UTF-16 units) are never equal; otherwise they are
 * compared code point by code point after simple upper-casing. So
 * `Ubuntu-Latest` equals `ubuntu-latest`, but `straße` is not `STRASSE` and
 * `ﬁle` is not `FILE`.
 */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y && simpleUpper(x) !== simpleUpper(y)) return false;
    const width = x > 0xffff ? 2 : 1;
    if ((y > 0xffff ? 2 : 1) !== width) return false;
    i += width;
  }
  return true;
}

/**
 * The key as `known` already spells it when one equals it ignoring case (an
 * axis, a key an earlier include added, a key of a cell), else the key itself.
 */
export function spelling(key: string, known: Iterable<string>): string {
  for (const k of known) if (equalsIgnoreCase(k, key)) return k;
  return key;
}

/** .NET's `Char.IsWhiteSpace`, which `String.Trim()` removes from both ends. */
const DOTNET_SPACE = '[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const DOTNET_TRIM = new RegExp(`^${DOTNET_SPACE}+|${DOTNET_SPACE}+$`, 'g');

/** What `Double.TryParse` accepts with a leading sign, a decimal point and an exponent allowed (ASCII digits only). */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * A string read as a number, as GitHub's `ParseNumber` does: the trimmed
 * string is empty (0), a decimal with optional sign, point and exponent, `0x`
 * followed by hex digits or `0o` followed by octal digits (both with a
 * lower-case letter, read as a 32-bit signed integer, so `0xffffffff` is -1 and
 * anything wider is NaN), or an infinity; anything else is NaN (`0b1`, `0X10`,
 * `0O17`, `1_000`).
 *
 * The runner's SDK targets .NET 8, whose `Double.TryParse` also takes the
 * infinity and NaN symbols in any case and `+Infinity`; that is kept here.
 */
export function parseNumber(s: string): number {
  const t = s.replace(DOTNET_TRIM, '');
  if (t === '') return 0;
  if (DECIMAL.test(t)) return Number(t);
  if (t.length > 2 && t[0] === '0' && t[1] === 'x' && /^[0-9a-fA-F]+$/.test(t.slice(2))) {
    const digits = t.slice(2).replace(/^0+/, '');
    // Int32.TryParse with AllowHexSpecifier: at most 8 significant digits, the bits read as signed.
    return digits.length > 8 ? Number.NaN : Number.parseInt(digits || '0', 16) | 0;
  }
  if (t.length > 2 && t[0] === '0' && t[1] === 'o' && /^[0-7]+$/.test(t.slice(2))) {
    // Convert.ToInt32(s, 8): an unsigned 32-bit value whose bits are read as signed; wider is an overflow.
    const n = Number.parseInt(t.slice(2), 8);
    return n > 0xffffffff ? Number.NaN : n | 0;
  }
  const lower = t.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

/**
 * A number as GitHub writes it (`${{ matrix.v }}`): .NET's "G15" format with
 * the invariant culture. 15 significant digits, no trailing zeros; scientific
 * notation (`1E-05`, `1E+15`, `1.23456789012346E+15`: mantissa, `E`, sign, at
 * least two exponent digits) when the exponent is -5 or less, or 15 or more;
 * -0 is written `0`.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (n === 0) return '0';
  const [mantissa, exp] = n.toExponential(14).split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '').replace(/0+$/, '');
  const e = Number(exp);
  const sign = negative ? '-' : '';
  if (e <= -5 || e >= 15) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = String(Math.abs(e)).padStart(2, '0');
    return `${sign}${m}E${e < 0 ? '-' : '+'}${abs}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length);
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** A matrix value as text: numbers as GitHub renders them, booleans `true`/`false`. */
export function valueText(v: Scalar): string {
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

/** The number a value stands for when it meets a number (`ConvertToNumber`): null is 0, a boolean 1 or 0. */
function toNumber(v: Scalar | null): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return parseNumber(v);
}

/**
 * GitHub's expression `==` on two matrix values (`AbstractEqual` after
 * `CoerceTypes`): values of one kind compare as they are, strings with
 * `equalsIgnoreCase`; a string meeting a number is read with `parseNumber`; a
 * boolean or null meeting anything else becomes a number first; NaN equals
 * nothing.
 */
export function valueEquals(a: Scalar | null, b: Scalar | null): boolean {
  const ka = a === null ? 'null' : typeof a;
  const kb = b === null ? 'null' : typeof b;
  if (ka === kb) {
    if (typeof a === 'string') return equalsIgnoreCase(a, b as string);
    if (typeof a === 'number') return !Number.isNaN(a) && a === b;
    return a === b;
  }
  // Strings only meet strings above; every other mix ends as two numbers, or as
  // a number and a string that is then read as a number.
  const x = toNumber(a);
  const y = toNumber(b);
  return !Number.isNaN(x) && !Number.isNaN(y) && x === y;
}
