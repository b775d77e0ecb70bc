// Spec `annotations` keys with bake's level prefix. The forms are those
// docker/buildx util/buildflags/export.go ParseAnnotations accepts (levels
// before the first `:`, comma-separated, each `index`, `index-descriptor`,
// `manifest` or `manifest-descriptor` from BuildKit's exptypes, optionally
// `[platform]` read by containerd's platforms.Parse; anything else is "unknown
// annotation type" or "invalid annotation type"), documented in
// docs/bake-reference.md `target.annotations` ("adding a prefix ... a
// comma-separated list of all the levels"); its tests are
// util/buildflags/export_test.go TestParseAnnotations. The bake files were
// checked with `docker buildx bake --print` (buildx 0.13.1) and an OCI export.
import { afterAll, describe, expect, it } from 'vitest';
import { annotationKeys, annotationLevels } from '../../src/annotations.js';
import { literal, parseBake } from '../helpers/hcl.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

afterAll(removeTempDirs);

const spec = (keys: string[]) =>
  [
    'version: 1',
    'registry: r.example',
    'platforms: [linux/amd64, linux/arm64]',
    'services:',
    '  api:',
    '    context: api',
    '    template: go',
    '    annotations:',
    ...keys.map((k) => `      "${k}": v`),
    '',
  ].join('\n');

const annotationsOf = async (hcl: string) => ((await parseBake(hcl)).target.api as { annotations?: string[] }).annotations!.map(literal);

describe('annotation levels', () => {
  it.each([
    // docs/bake-reference.md target.annotations and export_test.go TestParseAnnotations cases.
    ['org.example.k', ['org.example.k=v']],
    ['index:org.example.k', ['index:org.example.k=v']],
    ['manifest:org.example.k', ['manifest:org.example.k=v']],
    ['index-descriptor:org.example.k', ['index-descriptor:org.example.k=v']],
    ['manifest-descriptor:org.example.k', ['manifest-descriptor:org.example.k=v']],
    ['manifest[linux/amd64]:org.example.k', ['manifest[linux/amd64]:org.example.k=v']],
    ['manifest-descriptor[linux/arm/v7]:org.example.k', ['manifest-descriptor[linux/arm/v7]:org.example.k=v']],
    // A list is one annotation per level (buildx >= 0.16, commit b00001d8a); written so, buildx 0.13 reads it alike.
    ['index,manifest:org.example.k', ['index:org.example.k=v', 'manifest:org.example.k=v']],
    ['index,manifest[linux/arm64]:org.example.k', ['index:org.example.k=v', 'manifest[linux/arm64]:org.example.k=v']],
  ])('`%s` is accepted and reaches the bake file as %j', async (key, entries) => {
    const r = compileSpec(spec([key]), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(await annotationsOf(r.files!.get('docker-bake.hcl')!)).toEqual(entries);
  });

  it('a value is escaped for HCL after a level as without one: bake sees it byte for byte', async () => {
    const src = spec([]).replace('    annotations:\n', '    annotations:\n      "index,manifest:org.example.t": "a ${x} %{ if } \\"q\\" \\\\ $"\n');
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(await annotationsOf(r.files!.get('docker-bake.hcl')!)).toEqual(['index:org.example.t=a ${x} %{ if } "q" \\ $', 'manifest:org.example.t=a ${x} %{ if } "q" \\ $']);
  });

  it.each([
    // export.go: `unknown annotation type`, `invalid annotation type` (no `[...]` content, upper case, an empty level).
    'layer:org.example.k',
    'Index:org.example.k',
    'index,:org.example.k',
    ',manifest:org.example.k',
    'manifest[]:org.example.k',
    'index manifest:org.example.k',
    ':org.example.k',
    // matrix's own rule for the key, as before: it starts with a letter or digit, no `:` or spaces.
    'index:',
    'index:-k',
    'index:a:b',
  ])('`%s` is invalid-name at the key, with a hint that describes the levels and the key', (key) => {
    const src = spec([key]);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-name', ...pos(src, `"${key}"`) }]);
    expect(r.diagnostics[0]!.hint).toContain('`index`, `index-descriptor`, `manifest` or `manifest-descriptor`');
    expect(r.diagnostics[0]!.hint).toContain('letters, digits, `.`, `_`, `/` and `-`, starting with a letter or digit');
  });

  it('a platform in brackets is checked as the spec checks platforms: an alias gets its canonical name', () => {
    const src = spec(['manifest[linux/aarch64]:org.example.k']);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'unknown-platform', ...pos(src, '"manifest[linux/aarch64]') }]);
    expect(r.diagnostics[0]!.hint).toContain('linux/arm64');
    expect(brief(compileSpec(spec(['manifest[linux/nosuch]:k']), goDirs('api')).diagnostics).map((d) => d.code)).toEqual(['unknown-platform']);
  });

  it('two keys that set the same level and key are a conflict (bake would keep the last), distinct platforms are not', () => {
    const src = spec(['index:org.example.k', 'index,manifest:org.example.k']);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'conflicting-keys', ...pos(src, '"index,manifest:org.example.k"') }]);
    expect(compileSpec(spec(['manifest[linux/amd64]:k', 'manifest[linux/arm64]:k', 'k']), goDirs('api')).diagnostics).toEqual([]);
  });

  it('annotationLevels and annotationKeys split at the first `:` and at `,`', () => {
    expect(annotationLevels('k')).toEqual([]);
    expect(annotationLevels('index,manifest[linux/arm64]:k')).toEqual([{ level: 'index' }, { level: 'manifest', platform: 'linux/arm64' }]);
    expect(annotationKeys('k')).toEqual(['k']);
    expect(annotationKeys('index-descriptor,manifest[linux/arm64]:org.k')).toEqual(['index-descriptor:org.k', 'manifest[linux/arm64]:org.k']);
  });
});
