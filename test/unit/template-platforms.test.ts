// Each built-in template declares the platforms it can produce (issue 13,
// "Platforms"); validate rejects others with the template named. Platform
// names as containerd's platforms.Parse/Normalize spell them
// (github.com/containerd/platforms). Image platforms of the default base
// images: golang/node/python/rust/debian/busybox official images' manifests
// (docker hub "Supported architectures"); go cross-compiles darwin/windows/
// freebsd with CGO_ENABLED=0 (go.dev/doc/install/source#environment) but
// scratch images exist only for linux, so those are files (`output`).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/plan/stages.js';
import { parseTemplate, TemplateError } from '../../src/render/template.js';
import { specPlatformProblem } from '../../src/platforms.js';
import { platformSupport } from '../../src/validate/template-platforms.js';
import { brief, compileSpec, goDirs, pos } from '../helpers/spec.js';
import { removeTempDirs, REPO_ROOT } from '../helpers/tree.js';

afterAll(removeTempDirs);

const meta = (name: string) => parseTemplate(name, readFileSync(path.join(REPO_ROOT, 'templates', `${name}.Dockerfile.hbs`), 'utf8')).meta;

describe('declarations', () => {
  it('every built-in template declares image platforms', () => {
    for (const f of readdirSync(path.join(REPO_ROOT, 'templates'))) {
      const m = meta(f.replace('.Dockerfile.hbs', ''));
      expect(m.platforms?.image?.length, f).toBeGreaterThan(0);
      expect(m.platforms!.image).toContain('linux/amd64');
      expect(m.platforms!.image).toContain('linux/arm64');
    }
  });

  it.each([
    ['go', 'linux/riscv64', 'image'],
    ['go', 'darwin/arm64', 'output'],
    ['go', 'windows/amd64', 'output'],
    ['node', 'windows/amd64', 'unsupported'],
    ['node', 'linux/arm/v7', 'image'],
    ['python', 'linux/s390x', 'unsupported'],
    ['rust', 'linux/arm/v7', 'unsupported'],
    ['static', 'linux/riscv64', 'image'],
  ])('%s for %s: %s', (name, p, want) => expect(platformSupport(meta(name), p)).toBe(want));

  it('a malformed declaration in a user template is refused at load', () => {
    expect(() => parseTemplate('t.hbs', '{{!--\nplatforms: [linux/amd64]\n--}}\nFROM x\n')).toThrow(TemplateError);
    expect(() => parseTemplate('t.hbs', '{{!--\nplatforms:\n  images: [linux/amd64]\n--}}\nFROM x\n')).toThrow(TemplateError);
  });

  // Targets' platforms are canonical and compared with the declaration as strings, so an
  // alias there (`linux/aarch64`, `linux/arm`) would never match: it gets the same check as
  // the spec's `platforms:` (src/platforms.ts checkPlatform), at its line and column.
  it('an alias in a declaration is a located TemplateError naming the canonical spelling', () => {
    const cases: [string, string, number, number, RegExp][] = [
      ['{{!--\nplatforms:\n  image: [linux/amd64, linux/aarch64]\n--}}\nFROM x\n', 'linux/arm64', 3, 24, /`linux\/aarch64` is not a canonical platform name: containerd reads it as `linux\/arm64`/],
      ['{{!--\ndescription: x\nplatforms:\n  image:\n    - linux/amd64\n    - linux/arm\n--}}\nFROM x\n', 'linux/arm/v7', 6, 7, /`linux\/arm` is not a canonical platform name/],
      ['{{!--\nplatforms:\n  image: [linux/amd64]\n  output: [darwin/arm64, windows/x86_64]\n--}}\nFROM x\n', 'windows/amd64', 4, 26, /`platforms\.output`: `windows\/x86_64`/],
      ['{{!--\nplatforms:\n  image: [linux/amd64, linux/arm64/v8]\n--}}\nFROM x\n', 'linux/arm64', 3, 24, /`linux\/arm64\/v8`/],
    ];
    for (const [src, canonical, line, column, message] of cases) {
      let err: TemplateError | undefined;
      try {
        parseTemplate('t.hbs', src);
      } catch (e) {
        err = e as TemplateError;
      }
      expect(err, src).toBeInstanceOf(TemplateError);
      expect(err!.message).toMatch(message);
      expect([err!.line, err!.column], src).toEqual([line, column]);
      expect(err!.hint).toContain(`did you mean \`${canonical}\`?`);
    }
    expect(() => parseTemplate('t.hbs', '{{!--\nplatforms:\n  image: [linux/amd64, linux/z80]\n--}}\nFROM x\n')).toThrow(/unknown platform `linux\/z80`/);
    // Canonical names are accepted, the built-ins' declarations among them (see 'every built-in template declares image platforms').
    expect(parseTemplate('t.hbs', '{{!--\nplatforms:\n  image: [linux/amd64, linux/arm/v7, linux/amd64/v3]\n--}}\nFROM x\n').meta.platforms).toEqual({
      image: ['linux/amd64', 'linux/arm/v7', 'linux/amd64/v3'],
    });
  });

  // Finding 1 of the platform audit: the front matter takes exactly what the spec's `platforms:` takes
  // (src/platforms.ts specPlatformProblem): canonical names containerd keeps as written (platforms.go
  // Parse/Normalize/Format; `linux/arm64/v8.2` as in platforms_test.go TestParseSelector), and for an
  // alias (TestParseSelector "Linux/x86_64", "armhf"; database.go normalizeArch) containerd's name,
  // `local` (buildx util/platformutil/parse.go `parse`) with the spec's explanation, an OS version
  // (platforms.go osRe) with the spec's message.
  it('accepts what platforms: accepts, linux/arm64/v8.2 among them', () => {
    expect(parseTemplate('t.hbs', '{{!--\nplatforms:\n  image: [linux/arm64/v8.2, linux/arm64/v9.3, linux/amd64]\n--}}\nFROM x\n').meta.platforms).toEqual({
      image: ['linux/arm64/v8.2', 'linux/arm64/v9.3', 'linux/amd64'],
    });
  });

  it.each([
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['x86_64', 'linux/amd64'],
    ['armhf', 'linux/arm/v7'],
    ['linux/amd64/V3', 'linux/amd64/v3'],
    ['local', undefined],
    ['linux', undefined],
    ['"windows(10.0.17763)/amd64"', undefined],
  ])('%s: the located error and hint of the spec', (written, canonical) => {
    const p = written.replace(/"/g, '');
    const src = `{{!--\nplatforms:\n  image: [linux/amd64, ${written}]\n--}}\nFROM x\n`;
    let err: TemplateError | undefined;
    try {
      parseTemplate('t.hbs', src);
    } catch (e) {
      err = e as TemplateError;
    }
    expect(err).toBeInstanceOf(TemplateError);
    const spec = specPlatformProblem(p)!;
    expect(err!.message).toBe(`front matter: \`platforms.image\`: ${spec.message}`);
    expect(err!.hint).toBe(spec.hint);
    expect([err!.line, err!.column]).toEqual([3, 24 + (written.startsWith('"') ? 1 : 0)]);
    if (canonical) expect(err!.hint).toContain(`did you mean \`${canonical}\`?`);
    if (p === 'local') expect(err!.message).toMatch(/cannot be a platform of the spec: it means the machine that runs matrix/);
    if (p.includes('(')) expect(err!.message).toMatch(/OS versions and features in a platform are not supported; write windows\/amd64$/);
  });

  it('plan classifies an unsupported platform as such', () => {
    expect(classify('FROM x\nRUN y\n', 'windows/amd64', 'linux/amd64', undefined, false)).toBe('unsupported');
  });
});

describe('validate', () => {
  it('node for windows/amd64: unsupported-platform at that entry, the template named', () => {
    const src = 'version: 1\nservices:\n  web:\n    context: web\n    template: node\n    platforms: [linux/amd64, windows/amd64]\n';
    const r = compileSpec(src, { 'web/package.json': '{}' });
    expect(brief(r.diagnostics)).toEqual([{ code: 'unsupported-platform', ...pos(src, 'windows/amd64') }]);
    expect(r.diagnostics[0]!.message).toContain('`node`');
  });

  it('go for windows/amd64 without an output export: the hint says to export files', () => {
    const src = 'version: 1\nplatforms: [linux/amd64, windows/amd64]\nservices:\n  api:\n    context: api\n    template: go\n';
    const r = compileSpec(src, goDirs('api'));
    expect(brief(r.diagnostics)).toEqual([{ code: 'unsupported-platform', ...pos(src, 'windows/amd64') }]);
    expect(r.diagnostics[0]!.hint).toContain('output');
  });

  it('a user template without a declaration accepts any known platform', () => {
    const src = 'version: 1\nservices:\n  api:\n    context: api\n    template: t.hbs\n    platforms: [windows/amd64]\n';
    expect(compileSpec(src, { 'api/x': '', 't.hbs': 'FROM scratch\n' }).diagnostics).toEqual([]);
  });
});
