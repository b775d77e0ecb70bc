import { describe, expect, it } from 'vitest';
import { schemaDiagnostics } from '../../src/validate/schema.js';
import { schemaValidator } from '../../src/validate/validator.js';
import { brief, load, pos } from '../helpers/spec.js';

function check(src: string) {
  const spec = load(src);
  expect(spec.diagnostics).toEqual([]);
  const { validate, schema } = schemaValidator();
  return schemaDiagnostics(spec, validate, schema);
}

/** schemaDiagnostics keeps ajv's order; compile() sorts by position. */
function sorted<T extends { line: number; column: number }>(ds: T[]): T[] {
  return [...ds].sort((a, b) => a.line - b.line || a.column - b.column);
}

const OK = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n';

describe('schema', () => {
  it('accepts a minimal spec', () => {
    expect(check(OK)).toEqual([]);
  });

  it('reports an unknown service key at the key, with a did-you-mean hint', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    platfroms: [linux/amd64]\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'unknown-key', ...pos(src, 'platfroms') }]);
    expect(ds[0]!.hint).toContain('`platforms`');
    expect(ds[0]!.path).toBe('services.api.platfroms');
  });

  it('reports an unknown top-level key with a hint', () => {
    const src = 'version: 1\nregisty: ghcr.io/acme\nservices:\n  api: {context: ., template: go}\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'unknown-key', ...pos(src, 'registy') }]);
    expect(ds[0]!.hint).toContain('`registry`');
  });

  it('lists the allowed keys when nothing is close', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    zzzzzzzzzz: 1\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'unknown-key', ...pos(src, 'zzzzzzzzzz') }]);
    expect(ds[0]!.hint).toContain('platforms');
  });

  it('reports a wrong type at the value', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    platforms: linux/amd64\n';
    expect(brief(check(src))).toEqual([{ code: 'wrong-type', ...pos(src, 'linux/amd64') }]);
  });

  // SOURCE_DATE_EPOCH is read by BuildKit with Go's strconv.ParseInt and written by matrix as
  // the RFC 3339 `created` label (containerd pkg/epoch ParseSourceDateEpoch, vendored by
  // docker/buildx): a number of the right type but out of range is said so, not "wrong type".
  it('a source_date_epoch out of range or not whole is an invalid value that names the range', () => {
    for (const v of ['-5', '1.5', '253402300800']) {
      const src = `version: 1\nreproducible:\n  source_date_epoch: ${v}\nservices:\n  api: {context: ., template: go}\n`;
      const ds = check(src);
      expect(brief(ds), v).toEqual([{ code: 'invalid-value', ...pos(src, v) }]);
      expect(ds[0]!.message).toBe(`reproducible.source_date_epoch is ${v}: it must be a whole number from 0 to 253402300799`);
    }
    for (const v of ['0', '253402300799', 'false']) expect(check(`version: 1\nreproducible:\n  source_date_epoch: ${v}\nservices:\n  api: {context: ., template: go}\n`), v).toEqual([]);
    const src = 'version: 1\nreproducible:\n  source_date_epoch: "1700000000"\nservices:\n  api: {context: ., template: go}\n';
    expect(brief(check(src))).toEqual([{ code: 'wrong-type', ...pos(src, '"1700000000"') }]);
  });

  it('reports a mapping where a list belongs, and a list where a mapping belongs', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    tags: {a: b}\n    args: [x]\n';
    expect(sorted(brief(check(src)))).toEqual([
      { code: 'wrong-type', ...pos(src, '{a: b}') },
      { code: 'wrong-type', ...pos(src, '[x]') },
    ]);
  });

  it('reports a missing version at the top of the document', () => {
    const src = '# a comment first\nservices:\n  api: {context: ., template: go}\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'missing-key', ...pos(src, 'services') }]);
    expect(ds[0]!.hint).toContain('version: 1');
  });

  it('reports a wrong version at its value', () => {
    const src = 'version: 2\nservices:\n  api: {context: ., template: go}\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-value', ...pos(src, '2') }]);
  });

  it('reports missing services', () => {
    const src = 'version: 1\n';
    expect(check(src).map((d) => d.code)).toEqual(['missing-key']);
  });

  // One problem, one diagnostic: ajv also reports the `pattern` failure inside
  // `propertyNames`, which must not surface as a second error elsewhere.
  it('reports an invalid service name at the name', () => {
    const src = 'version: 1\nservices:\n  api: {context: ., template: go}\n  My_Service: {context: ., template: go}\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'invalid-name', ...pos(src, 'My_Service') }]);
    expect(ds[0]!.hint).toBeTruthy();
  });

  it('reports an invalid build-arg name', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    args:\n      1BAD: x\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-name', ...pos(src, '1BAD') }]);
  });

  // Each map's hint says what its propertyNames pattern in schemas/matrix.schema.json allows.
  it.each([
    ['groups', 'version: 1\ngroups:\n  Web: [api]\nservices:\n  api: {context: ., template: go}\n', 'Web', 'group names are lower case letters, digits, `-` and `_`, starting with a letter or digit'],
    [
      'matrix',
      'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    matrix:\n      1go: ["1.22"]\n',
      '1go',
      'matrix axis names are letters, digits, `-` and `_`, not starting with a digit or `-`',
    ],
    ['labels', 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    labels:\n      "": x\n', '""', 'a label key cannot be empty'],
  ])('an invalid name in %s gets a hint that describes the pattern', (_, src, at, hint) => {
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'invalid-name', ...pos(src, at) }]);
    expect(ds[0]!.hint).toBe(hint);
  });

  it('reports a secret with both env and src at the secret', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    secrets:\n      - id: tok\n        env: TOKEN\n        src: ./token.txt\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-value', ...pos(src, 'id: tok') }]);
  });

  // The oneOf summary says it; the branches' `required` errors are noise.
  it('reports a secret with neither env nor src', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    secrets:\n      - id: tok\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-value', ...pos(src, 'id: tok') }]);
  });

  it('reports a platform that is not os/arch', () => {
    // Aliases such as `LINUX/X86_64` pass the shape check and get containerd's canonical name as a hint
    // in resolve (test/unit/platforms.test.ts); what cannot be a platform at all stops here.
    const src = 'version: 1\nplatforms: [linux/amd64, "linux//amd64"]\nservices:\n  api: {context: ., template: go}\n';
    expect(brief(check(src))).toEqual([{ code: 'invalid-format', ...pos(src, '"linux//amd64"') }]);
  });

  it('reports a repeated platform', () => {
    const src = 'version: 1\nplatforms: [linux/amd64, linux/amd64]\nservices:\n  api: {context: ., template: go}\n';
    expect(brief(check(src))).toEqual([{ code: 'duplicate-item', ...pos(src, '[linux/amd64') }]);
  });

  it('reports empty services', () => {
    const src = 'version: 1\nservices: {}\n';
    expect(brief(check(src))).toEqual([{ code: 'empty', ...pos(src, '{}') }]);
  });

  it('reports an empty matrix axis', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: .\n    template: go\n    matrix:\n      go: []\n';
    expect(brief(check(src))).toEqual([{ code: 'empty', ...pos(src, '[]') }]);
  });

  it('reports every shape error at once, each at its own place', () => {
    const src = ['version: 1', 'services:', '  api:', '    context: .', '    template: go', '    platfroms: [linux/amd64]', '  Web:', '    context: 7', '    dockerfile: Dockerfile', ''].join('\n');
    const ds = check(src);
    expect(brief(ds)).toEqual(
      expect.arrayContaining([
        { code: 'unknown-key', ...pos(src, 'platfroms') },
        { code: 'invalid-name', ...pos(src, 'Web') },
      ]),
    );
    expect(ds.length).toBeGreaterThanOrEqual(2);
  });

  it('points defaults errors into defaults', () => {
    const src = 'version: 1\ndefaults:\n  templte: go\nservices:\n  api: {context: .}\n';
    const ds = check(src);
    expect(brief(ds)).toEqual([{ code: 'unknown-key', ...pos(src, 'templte') }]);
    expect(ds[0]!.hint).toContain('`template`');
  });
});
