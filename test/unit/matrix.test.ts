// Cases follow GitHub Actions' documentation of `strategy.matrix`
// ("Expanding or adding matrix configurations", "Excluding matrix configurations").
import { describe, expect, it } from 'vitest';
import { cellTargetName, expandMatrix, slug } from '../../src/expand/matrix.js';
import type { MatrixInput } from '../../src/spec.js';

const cells = (m: MatrixInput) => expandMatrix(m).cells;

describe('expandMatrix', () => {
  it('no matrix is one empty cell', () => {
    expect(expandMatrix(undefined)).toEqual({ axes: [], cells: [{}] });
  });

  it('is the cartesian product, first axis slowest, values as strings', () => {
    expect(expandMatrix({ os: ['a', 'b'], node: [14, 16] })).toEqual({
      axes: ['os', 'node'],
      cells: [
        { os: 'a', node: '14' },
        { os: 'a', node: '16' },
        { os: 'b', node: '14' },
        { os: 'b', node: '16' },
      ],
    });
  });

  it('include adds keys to matching combinations without overwriting original values (docs example)', () => {
    const m: MatrixInput = {
      fruit: ['apple', 'pear'],
      animal: ['cat', 'dog'],
      include: [{ color: 'green' }, { color: 'pink', animal: 'cat' }, { fruit: 'apple', shape: 'circle' }, { fruit: 'banana' }, { fruit: 'banana', animal: 'cat' }],
    };
    expect(cells(m)).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
    expect(expandMatrix(m).axes).toEqual(['fruit', 'animal', 'color', 'shape']);
  });

  it('include adds a key to the one combination it matches exactly (docs example)', () => {
    const m: MatrixInput = { os: ['windows-latest', 'ubuntu-latest'], node: [14, 16], include: [{ os: 'windows-latest', node: 16, npm: 6 }] };
    expect(cells(m)).toEqual([
      { os: 'windows-latest', node: '14' },
      { os: 'windows-latest', node: '16', npm: '6' },
      { os: 'ubuntu-latest', node: '14' },
      { os: 'ubuntu-latest', node: '16' },
    ]);
  });

  it('an include that would overwrite an original value creates a new combination instead', () => {
    const m: MatrixInput = { os: ['linux'], version: ['1'], include: [{ os: 'linux', version: '2' }] };
    expect(cells(m)).toEqual([
      { os: 'linux', version: '1' },
      { os: 'linux', version: '2' },
    ]);
  });

  it('added values may be overwritten by a later include', () => {
    const m: MatrixInput = { os: ['a', 'b'], include: [{ color: 'green' }, { os: 'b', color: 'blue' }] };
    expect(cells(m)).toEqual([
      { os: 'a', color: 'green' },
      { os: 'b', color: 'blue' },
    ]);
  });

  it('an include never merges into a combination another include created', () => {
    const m: MatrixInput = { os: ['a'], include: [{ os: 'z' }, { os: 'z', extra: '1' }] };
    expect(cells(m)).toEqual([{ os: 'a' }, { os: 'z' }, { os: 'z', extra: '1' }]);
  });

  it('include alone (no axes) makes one combination per entry', () => {
    const m: MatrixInput = {
      include: [
        { site: 'production', datacenter: 'site-a' },
        { site: 'staging', datacenter: 'site-b' },
      ],
    };
    expect(expandMatrix(m)).toEqual({
      axes: ['site', 'datacenter'],
      cells: [
        { site: 'production', datacenter: 'site-a' },
        { site: 'staging', datacenter: 'site-b' },
      ],
    });
  });

  it('exclude with a partial match removes every combination containing it (docs example)', () => {
    const m: MatrixInput = {
      os: ['macos-latest', 'windows-latest', 'ubuntu-latest'],
      version: [10, 12, 14],
      exclude: [{ os: 'macos-latest', version: 12 }, { os: 'windows-latest' }],
    };
    expect(cells(m)).toEqual([
      { os: 'macos-latest', version: '10' },
      { os: 'macos-latest', version: '14' },
      { os: 'ubuntu-latest', version: '10' },
      { os: 'ubuntu-latest', version: '12' },
      { os: 'ubuntu-latest', version: '14' },
    ]);
  });

  // docs.github.com, "Workflow syntax for GitHub Actions", jobs.<job_id>.strategy.matrix.exclude: nine jobs, the
  // twelve combinations less the one matching all three pairs and the two matching {windows-latest, 16}.
  it('exclude: twelve combinations less one full and two partial matches are nine, in product order (docs example)', () => {
    const m: MatrixInput = {
      os: ['macos-latest', 'windows-latest'],
      version: [12, 14, 16],
      environment: ['staging', 'production'],
      exclude: [
        { os: 'macos-latest', version: 12, environment: 'production' },
        { os: 'windows-latest', version: 16 },
      ],
    };
    expect(cells(m).map((c) => `${c.os} ${c.version} ${c.environment}`)).toEqual([
      'macos-latest 12 staging',
      'macos-latest 14 staging',
      'macos-latest 14 production',
      'macos-latest 16 staging',
      'macos-latest 16 production',
      'windows-latest 12 staging',
      'windows-latest 12 production',
      'windows-latest 14 staging',
      'windows-latest 14 production',
    ]);
  });

  it('exclude runs before include, so include can add an excluded combination back', () => {
    const m: MatrixInput = { os: ['a', 'b'], v: ['1', '2'], exclude: [{ os: 'b' }], include: [{ os: 'b', v: '2' }] };
    expect(cells(m)).toEqual([
      { os: 'a', v: '1' },
      { os: 'a', v: '2' },
      { os: 'b', v: '2' },
    ]);
  });

  it('matches a number and its string, and values of one type, as GitHub does', () => {
    const m: MatrixInput = { v: [1, 2], debug: [true, false], exclude: [{ v: '1', debug: true }], include: [{ v: 2, debug: false, x: 'y' }] };
    expect(cells(m)).toEqual([
      { v: '1', debug: 'false' },
      { v: '2', debug: 'true' },
      { v: '2', debug: 'false', x: 'y' },
    ]);
  });

  // The case this test once expected the other way ("matched by their string
  // form"): GitHub's filter is the expression `matrix['debug'] == 'true'`
  // (actions/runner src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs,
  // MatrixFilter.AddExpression), where true is the number 1 and 'true' is NaN.
  it('the string "true" does not match the boolean true (GitHub coerces both to numbers)', () => {
    const m: MatrixInput = { v: [1, 2], debug: [true, false], exclude: [{ v: '1', debug: 'true' }] };
    expect(cells(m)).toEqual([
      { v: '1', debug: 'true' },
      { v: '1', debug: 'false' },
      { v: '2', debug: 'true' },
      { v: '2', debug: 'false' },
    ]);
  });

  it('an exclude that matches nothing changes nothing', () => {
    expect(cells({ a: ['1', '2'], exclude: [{ a: '3' }] })).toEqual([{ a: '1' }, { a: '2' }]);
  });

  it('excluding everything leaves no combination', () => {
    expect(cells({ a: ['1'], exclude: [{ a: '1' }] })).toEqual([]);
  });
});

describe('target names', () => {
  it('slug keeps [a-z0-9-] only', () => {
    expect(slug('1.22')).toBe('1-22');
    expect(slug('Linux/ARM/v7')).toBe('linux-arm-v7');
    expect(slug('--a__b--')).toBe('a-b');
    expect(slug('日本')).toBe('');
  });

  it('a cell is named by its values in axis order', () => {
    expect(cellTargetName('api', ['go', 'variant'], { variant: 'slim', go: '1.22' })).toBe('api-1-22-slim');
    expect(cellTargetName('api', ['go', 'variant'], { go: '1.22' })).toBe('api-1-22');
    expect(cellTargetName('api', ['x'], { x: '日本' })).toBe('api-x');
  });

  it('keys that include only adds do not rename a cell; include-only cells use all their values', () => {
    const { cells } = expandMatrix({ node: ['20', '22'], include: [{ node: '22', latest: 'yes' }] });
    expect(cells.map((c) => cellTargetName('web', ['node'], c))).toEqual(['web-20', 'web-22']);
    const only = expandMatrix({ include: [{ go: '1.21' }, { go: '1.22', os: 'alpine' }] });
    expect(only.cells.map((c) => cellTargetName('api', [], c))).toEqual(['api-1-21', 'api-1-22-alpine']);
  });

  it('every generated name is a valid bake target name', () => {
    const { axes, cells: cs } = expandMatrix({ a: ['A/B', '1.0', '—', ' x '], include: [{ b: '$weird{' }] });
    for (const c of cs) expect(cellTargetName('svc', axes, c)).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
  });
});

// An axis or include key is any name a spec gives, and `constructor`, `toString`
// and `__proto__` are valid ones (GitHub reads `matrix['KEY']` from the
// mapping itself: actions/runner MatrixBuilder.cs). A plain record read by
// such a key finds Object.prototype's member when it lacks the key: the
// exclude filter crashed on the function it found, names got
// `function Object() { [native code] }`, and an include's `__proto__` was lost.
describe('keys that Object.prototype also has', () => {
  it('an exclude naming such a key (not an axis) removes nothing and does not throw', () => {
    for (const k of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(cells({ node: ['20', '22'], exclude: [{ [k]: 'x' }] as MatrixInput['exclude'] })).toEqual([{ node: '20' }, { node: '22' }]);
    }
  });

  it('an include key `__proto__` is a variable like any other, an own key of each cell it joins', () => {
    const include = [JSON.parse('{"__proto__": "y"}')] as MatrixInput['include'];
    const { axes, cells: cs } = expandMatrix({ node: ['20', '22'], include });
    expect(axes).toEqual(['node', '__proto__']);
    for (const c of cs) {
      expect(Object.hasOwn(c, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    }
    expect(cs.map((c) => Object.getOwnPropertyDescriptor(c, '__proto__')?.value)).toEqual(['y', 'y']);
  });

  it('a combination without an axis named `constructor` is named by the keys it has', () => {
    const { axes, cells: cs } = expandMatrix({ constructor: ['a'], node: ['20'], include: [{ node: '99' }] });
    expect(cs.map((c) => cellTargetName('web', axes, c))).toEqual(['web-a-20', 'web-99']);
  });
});
