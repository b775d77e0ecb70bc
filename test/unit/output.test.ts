// bake `output` entries on a service. buildx reads each entry as one CSV record
// of key=value fields (docker/buildx util/buildflags/export.go `ParseExports`,
// Go's encoding/csv quoting); exporters as in the buildx docs for `--output`
// (local, tar, oci, docker, image, registry, cacheonly). The real export of a
// cross-compiled binary is in test/engine/conformance.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { exportParentDir, parseCsvRecord } from '../../src/resolve/outputs.js';
import { parseBake } from '../helpers/hcl.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterAll(removeTempDirs);

const spec = (output: string[], extra: string[] = []) =>
  ['version: 1', 'services:', '  api:', '    context: api', '    template: go', ...extra, `    output: [${output.map((o) => JSON.stringify(o)).join(', ')}]`, ''].join('\n');

describe('output', () => {
  it('type=local,dest=dist/ reaches the bake target as written', async () => {
    const r = compileSpec(spec(['type=local,dest=dist/']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets[0]!.outputs).toEqual(['type=local,dest=dist/']);
    const bake = await parseBake(r.files!.get('docker-bake.hcl')!);
    expect((bake.target.api as { output?: string[] }).output).toEqual(['type=local,dest=dist/']);
  });

  it('dest is relative to the spec, normalised, and may use service and matrix variables', () => {
    const r2 = compileSpec(
      spec(['type=local,dest=./out/../../dist/${{ service }}/${{ matrix.os }}'], ['    matrix: { os: [linux, darwin] }']).replace('context: api', 'context: ../api'),
      goDirs('api'),
      { specAt: 'deploy' },
    );
    expect(r2.diagnostics).toEqual([]);
    expect(r2.spec!.targets.map((t) => t.outputs)).toEqual([['type=local,dest=../dist/api/linux'], ['type=local,dest=../dist/api/darwin']]);
  });

  it('CSV quoting: a comma or quote in a value is quoted in the bake file, and HCL escapes ${', async () => {
    const r = compileSpec(spec(['type=local,"dest=out/a,b"', 'type=tar,dest=out/${x}.tar']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets[0]!.outputs).toEqual(['type=local,"dest=out/a,b"', 'type=tar,dest=out/${x}.tar']);
    const bake = await parseBake(r.files!.get('docker-bake.hcl')!);
    expect((bake.target.api as { output?: string[] }).output).toEqual(['type=local,"dest=out/a,b"', 'type=tar,dest=out/${x}.tar']);
    expect(parseCsvRecord('type=local,"dest=a,""b"""')).toEqual(['type=local', 'dest=a,"b"']);
  });

  it.each([
    ['type=local', 'no dest for a file exporter'],
    ['type=floppy,dest=x', 'unknown exporter'],
    ['dest=dist/', 'no type'],
    ['type=local,dest=../outside', 'outside the repository'],
    ['type=local,dest=/tmp/x', 'absolute'],
    ['type=local,dest=~/x', 'home directory'],
    ['type=local,dest=-', 'standard output'],
    ['type=local,dest=.', 'the repository root itself'],
    ['type=local,"dest=x', 'unterminated quote'],
    ['type=local,dest=a,dest=b', 'a key twice'],
    ['type=local,bare', 'a field that is not key=value'],
  ])('%s is a located error (%s)', (entry) => {
    const src = spec([entry]);
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-output', ...pos(src, JSON.stringify(entry)) }]);
    expect(r.files).toBeUndefined();
  });

  it('a dest through a symbolic link that leaves the repository is refused', () => {
    const outside = tempDir();
    const src = spec(['type=local,dest=link/dist']);
    const r = compileSpec(src, { ...goDirs('api'), link: { symlink: outside } });
    expect(brief(r.diagnostics)).toEqual([{ code: 'invalid-output', ...pos(src, '"type=local,dest=link/dist"') }]);
  });

  it("a lone path is buildx's shorthand for a local export (util/buildflags/export.go)", () => {
    const r = compileSpec(spec(['bin/build']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.targets[0]!.outputs).toEqual(['type=local,dest=bin/build']);
  });

  it('image and registry outputs need no dest', () => {
    const r = compileSpec(spec(['type=image,push=true', 'type=cacheonly']), goDirs('api'));
    expect(r.diagnostics).toEqual([]);
  });
});

// buildx os.Create's the dest of a file export while reading its options (controller/pb/export.go CreateExports).
describe('exportParentDir: the directory a file export needs before bake starts', () => {
  it('tar, oci and docker exports to a file need their directory; local and tar=false exports are directories buildx makes', () => {
    expect(exportParentDir('type=tar,dest=out/api.tar')).toBe('out');
    expect(exportParentDir('type=oci,dest=a/b/api.tar')).toBe('a/b');
    expect(exportParentDir('type=docker,dest=out/img.tar')).toBe('out');
    expect(exportParentDir('type=tar,dest=api.tar')).toBeUndefined();
    expect(exportParentDir('type=local,dest=dist/')).toBeUndefined();
    expect(exportParentDir('type=oci,dest=out/layout,tar=false')).toBeUndefined();
    expect(exportParentDir('type=registry')).toBeUndefined();
    expect(exportParentDir('type=tar,"dest=my dir/a,b.tar"')).toBe('my dir');
  });
});
