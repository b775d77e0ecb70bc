// Issue 19: system packages for the node and python templates: a `packages`
// list of Debian package names, installed with apt-get in the runtime stage
// (a RUN that executes as each target platform, so `plan` says emulated).
// Names are checked against Debian Policy 5.6.1
// (www.debian.org/doc/debian-policy/ch-controlfields.html#s-f-source): lower case letters, digits,
// `+`, `-` and `.`, at least two characters, starting with a letter or digit; nothing else can reach apt-get.
import { afterAll, describe, expect, it } from 'vitest';
import { classify, emulationReason } from '../../src/plan/stages.js';
import { compileSpec } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const TREES: Record<string, Record<string, string>> = { node: { 'w/package.json': '{ "name": "w" }\n' }, python: { 'w/app.py': '' } };
const spec = (template: string, withs: string) => `version: 1\nservices:\n  w:\n    context: w\n    template: ${template}\n    with: ${withs}\n`;

describe.each(['node', 'python'])('%s: packages', (template) => {
  it('are installed in the final stage, before USER, each a quoted word; the stage then runs as the target platform', () => {
    const r = compileSpec(spec(template, '{ packages: [libpq5, ca-certificates, g++, libstdc++6, python3.13] }'), TREES[template]);
    expect(r.diagnostics).toEqual([]);
    const text = ('files' in r && r.files?.get('w/Dockerfile')) || '';
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final).toContain("    apt-get install -y --no-install-recommends 'libpq5' 'ca-certificates' 'g++' 'libstdc++6' 'python3.13' ; \\\n");
    expect(final.indexOf('apt-get update')).toBeLessThan(final.indexOf('\nUSER 65532:65532\n'));
    expect(classify(text, 'linux/arm64', 'linux/amd64')).toBe('emulated');
    expect(emulationReason(text, 'w/Dockerfile')).toMatch(/^the final stage runs `RUN` as the target platform, w\/Dockerfile:\d+$/);
  });

  it('one package given as a string is installed as a list of it is (helpers/each.js ran no block for one value)', () => {
    const r = compileSpec(spec(template, '{ packages: curl }'), TREES[template]);
    expect(r.diagnostics).toEqual([]);
    const text = ('files' in r && r.files?.get('w/Dockerfile')) || '';
    expect(text).toContain("    apt-get install -y --no-install-recommends 'curl' ; \\\n");
  });

  it('none given: no apt-get, and the template stays cross-built', () => {
    const r = compileSpec(spec(template, '{}'), TREES[template]);
    const text = ('files' in r && r.files?.get('w/Dockerfile')) || '';
    expect(text).not.toContain('apt-get');
    expect(classify(text, 'linux/arm64', 'linux/amd64')).toBe('cross');
  });

  it.each([
    ['curl; rm -rf /', 'curl; rm -rf /'],
    ['an option', '--allow-unauthenticated'],
    ['upper case', 'Curl'],
    ['one character', 'a'],
    ['a version pin', 'curl=8.0'],
    ['a quote', "curl'"],
  ])('%s is refused at the value, nothing written', (_, name) => {
    const r = compileSpec(spec(template, `{ packages: [${JSON.stringify(name)}] }`), TREES[template]);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['invalid-param', 6, expect.any(Number)]]);
    expect('files' in r && r.files?.size).toBeFalsy();
  });
});
