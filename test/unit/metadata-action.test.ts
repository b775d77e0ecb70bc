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
