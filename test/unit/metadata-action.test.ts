// `metadata_action` against docker/metadata-action (src/meta.ts `generateBakeFile`:
// `{"target": {[inputs.bakeTarget]: ...}}`, `bake-target` defaulting to
// `docker-metadata-action`) and bake's merge rules (a target's own attribute
// wins over `inherits`). The real `bake --print` merge is tested in
// test/engine/conformance.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectTargets } from '../../src/bake/command.js';
import { fileValues, uninheritedWarnings } from '../../src/repro/inputs.js';
import { parseBake } from '../helpers/hcl.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const svc = (lines: string[]) => ['version: 1', 'registry: r.example', 'services:', '  api:', '    context: api', '    template: go', ...lines, ''].join('\n');

describe('metadata_action', () => {
  it('true: inherits docker-metadata-action and writes no tags at all (not even tags = [])', async () => {
    const r = compileSpec(svc(['    metadata_action: true']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const hcl = r.files!.get('docker-bake.hcl')!;
    const block = hcl.slice(hcl.indexOf('target "api" {'));
    expect(block).toContain('inherits   = ["docker-metadata-action"]');
    expect(block).not.toMatch(/\btags\b/);
    const bake = await parseBake(hcl);
    expect(bake.target['docker-metadata-action']).toBeDefined();
  });

  it("NAME: inherits that target, declared empty for metadata-action's file to fill", () => {
    const r = compileSpec(svc(['    metadata_action: meta-api']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    const hcl = r.files!.get('docker-bake.hcl')!;
    expect(hcl).toContain('target "meta-api" {}');
    expect(hcl).toContain('inherits   = ["meta-api"]');
    expect(r.spec!.targets[0]!.tags).toEqual([]);
  });

  it('a matrix cell can name its own target with ${{ target }} or matrix values', () => {
    const r = compileSpec(svc(['    matrix: { go: ["1.22", "1.23"], os: [a] }', '    metadata_action: "meta-${{ target }}-${{ matrix.os }}"']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets.map((t) => t.metadataAction)).toEqual(['meta-api-1-22-a-a', 'meta-api-1-23-a-a']);
  });

  it("own tags (or latest) win over metadata-action's, as bake merges: kept, with a warning at them", () => {
    const src = svc(['    metadata_action: true', '    tags: [r.example/api:own]']);
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.line, d.column])).toEqual([['metadata-tags-ignored', 'warning', pos(src, 'tags').line, pos(src, 'tags').column]]);
    expect(r.spec!.targets[0]!.tags).toEqual(['r.example/api:own']);
    expect(r.files!.get('docker-bake.hcl')).toContain('tags       = ["r.example/api:own"]');
  });

  it('a name that is not a bake target name, or that is one of ours, is a located error', () => {
    const bad = svc(['    metadata_action: "meta api"']);
    expect(brief(compileSpec(bad, goDirs('api')).diagnostics)).toEqual([{ code: 'invalid-name', ...pos(bad, '"meta api"') }]);
    for (const name of ['api', 'default', 'web']) {
      const src = svc([`    metadata_action: ${name}`]) + '  web: { context: web, template: go }\n';
      const at = pos(src, `metadata_action: ${name}`);
      expect(brief(compileSpec(src, goDirs('api', 'web')).diagnostics)).toEqual([{ code: 'name-collision', line: at.line, column: at.column + 'metadata_action: '.length }]);
    }
  });
});

// A tag written with docker/metadata-action's patterns (README `type=semver`: {{raw}}, {{version}},
// {{major}}, {{minor}}, {{patch}}; "Global expressions": {{branch}}, {{tag}}, {{sha}}, {{date}}) is
// no image reference; the error names the spec's variable for each, so the hint does not just
// repeat the reference grammar.
describe("metadata-action's pattern syntax in a spec", () => {
  it('{{version}}-style tags: a located error whose hint names the ${{ semver.* }} / ${{ git.* }} variable to write', () => {
    const src = svc(['    tags: ["r.example/api:{{major}}.{{ minor }}", "r.example/api:sha-{{sha}}-{{date \'YYYYMMDD\'}}", "r.example/api:{{raw}}"]']);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([
      { code: 'invalid-tag', ...pos(src, '"r.example/api:{{major}}') },
      { code: 'invalid-tag', ...pos(src, '"r.example/api:sha-') },
      { code: 'invalid-tag', ...pos(src, '"r.example/api:{{raw}}') },
    ]);
    const hints = r.diagnostics.map((d) => d.hint);
    expect(hints[0]).toContain('`${{ semver.major }}` for `{{major}}`, `${{ semver.minor }}` for `{{ minor }}`');
    expect(hints[1]).toContain("`${{ git.short_sha }}` for `{{sha}}`, no variable gives `{{date 'YYYYMMDD'}}`");
    expect(hints[2]).toContain('`${{ git.tag }}` for `{{raw}}`');
    // A `{` that is no metadata-action pattern keeps the grammar hint.
    const other = svc(['    tags: ["r.example/api:{{x}}"]']);
    expect(compileSpec(other, goDirs('api')).diagnostics[0]!.hint).toMatch(/^a tag is \[registry\/\]name\[:tag\]/);
  });

  it('${{ version }}, ${{ sha }}, ${{ raw }}: the unknown-variable hint suggests the spec variable of that meaning', () => {
    const src = svc(['    tags: ["r.example/api:${{ version }}", "r.example/api:${{ sha }}"]', '    labels: { v: "${{ raw }}" }']);
    const r = compileSpec(src, goDirs('api'));
    expect(r.diagnostics.map((d) => [d.code, d.hint!.split('?')[0]])).toEqual([
      ['unknown-variable', 'did you mean `${{ semver.version }}`'],
      ['unknown-variable', 'did you mean `${{ git.short_sha }}`'],
      ['unknown-variable', 'did you mean `${{ git.tag }}`'],
    ]);
  });
});

// docker/metadata-action names its target by the `bake-target` input (src/context.ts, default
// `docker-metadata-action`; src/meta.ts generateBakeFile writes `{"target": {[bakeTarget]: ...}}`).
// When the files given with `matrix bake -f` define another name, bake merges nothing into the
// inherited target and the image is built without a tag: `matrix bake` says so.
describe('metadata_action target that no -f file defines', () => {
  const two = [
    'version: 1',
    'registry: r.example',
    'services:',
    '  api: { context: api, template: go, metadata_action: true }',
    '  web: { context: web, template: go, metadata_action: meta-web }',
    '',
  ].join('\n');
  const write = (name: string, doc: unknown) => {
    const file = path.join(tempDir(), name);
    writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return file;
  };

  it('warns for each inherited target no file defines, naming the targets the files do define', () => {
    const r = compileSpec(two, goDirs('api', 'web'));
    expect(r.diagnostics).toEqual([]);
    const sel = selectTargets(r.spec!, []);
    const wrong = write('meta.json', { target: { 'meta-api': { tags: ['r.example/api:1.2.3'] } } });
    const warnings = uninheritedWarnings(r.spec!, sel, fileValues([wrong]));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^api inherits the bake target `docker-metadata-action` .*they define: `meta-api`.*`bake-target: docker-metadata-action`/);
    expect(warnings[1]).toMatch(/^web inherits the bake target `meta-web`/);
    // Both defined (tags in one file, labels in another, as metadata-action writes them): nothing to say.
    const tags = write('tags.json', { target: { 'docker-metadata-action': { tags: ['r.example/api:1'] } } });
    const labels = write('labels.json', { target: { 'meta-web': { labels: { a: 'b' } } } });
    expect(uninheritedWarnings(r.spec!, sel, fileValues([tags, labels]))).toEqual([]);
    // Only the targets that build: web alone needs meta-web alone.
    expect(uninheritedWarnings(r.spec!, selectTargets(r.spec!, ['web']), fileValues([labels]))).toEqual([]);
  });

  it('says nothing without -f files, or when a file is not a JSON bake file (HCL, compose) that could define it', () => {
    const r = compileSpec(two, goDirs('api', 'web'));
    const sel = selectTargets(r.spec!, []);
    expect(uninheritedWarnings(r.spec!, sel, fileValues([]))).toEqual([]);
    const hcl = write('more.hcl', 'target "docker-metadata-action" {\n  tags = ["r.example/api:1"]\n}\n');
    const compose = write('compose.json', { services: { 'meta-web': { image: 'x' } } });
    expect(uninheritedWarnings(r.spec!, sel, fileValues([hcl, compose]))).toEqual([]);
  });
});
