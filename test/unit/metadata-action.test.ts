// `metadata_action` against docker/metadata-action (src/meta.ts `generateBakeFile`:
// `{"target": {[inputs.bakeTarget]: ...}}`, `bake-target` defaulting to
// `docker-metadata-action`) and bake's merge rules (a target's own attribute
// wins over `inherits`). The real `bake --print` merge is tested in
// test/engine/conformance.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { parseBake } from '../helpers/hcl.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs } from '../helpers/tree.js';

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
