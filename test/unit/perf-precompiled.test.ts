// The built-in templates and the JSON Schema validator in the forms the build
// compiled from templates/ and schemas/ (src/precompiled/precompile.ts). How
// the bundle starts is test/process/startup.test.ts's.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinsModule, precompileTemplate } from '../../src/precompiled/precompile.js';
import { parseTemplate, TemplateError } from '../../src/render/template.js';
import { REPO_ROOT } from '../helpers/tree.js';

const TEMPLATES = path.join(REPO_ROOT, 'templates');
const templateFiles = readdirSync(TEMPLATES)
  .filter((n) => n.endsWith('.Dockerfile.hbs'))
  .sort();

describe('the precompiled built-in templates', () => {
  it('every built-in template is precompiled', () => {
    const mod = builtinsModule({ templates: templateFiles.map((n) => ({ file: n, source: readFileSync(path.join(TEMPLATES, n), 'utf8') })), schemaText: '{}' });
    expect(mod.skipped).toEqual([]);
    expect(mod.precompiled).toEqual(templateFiles);
  });

  it('a template whose text is not the precompiled one compiles at run time', () => {
    const name = templateFiles[0]!;
    const source = readFileSync(path.join(TEMPLATES, name), 'utf8');
    const mod = builtinsModule({ templates: [{ file: name, source }], schemaText: '{}' });
    expect(mod.precompiled).toEqual([name]);
    // Keyed by the whole text: one more character is another template.
    expect(mod.code).toContain(JSON.stringify(source));
    expect(mod.code).not.toContain(JSON.stringify(`${source} `));
  });

  it('a template that fails its checks is left to run time, where it fails the same way', () => {
    const bad = '{{!--\nparams: {}\n--}}\nFROM x\nRUN {{with.x}}\n';
    const form = precompileTemplate(bad);
    expect(form).toHaveProperty('skipped');
    expect(() => parseTemplate('t.hbs', bad)).toThrow(TemplateError);
  });
});
