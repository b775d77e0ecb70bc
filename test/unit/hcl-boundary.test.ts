// A literal `$` right before a variable: `$${{ git.sha }}` is `$` and the sha.
// In HCL `$${` is the escape for a literal `${` (hashicorp/hcl hclsyntax spec,
// "Template Literals"), so such dollars go into an interpolation of their own.
// The real `bake --print` round trip is a property in test/engine/conformance.ts.
import { describe, expect, it } from 'vitest';
import { hclDyn } from '../../src/render/hcl.js';
import { interpolateDyn } from '../../src/resolve/vars.js';

describe('the boundary between literal text and variables in HCL', () => {
  it('dollars before a variable are interpolated, never left to form $${', () => {
    expect(hclDyn({ parts: ['a$', { variable: 'V' }] })).toBe('"a${"$"}${V}"');
    expect(hclDyn({ parts: ['$$', { variable: 'V' }, '$'] })).toBe('"${"$$"}${V}$"');
    expect(hclDyn({ parts: ['${', { variable: 'V' }] })).toBe('"$${${V}"');
  });

  it('$${{ git.sha }} in a spec is a literal $ then the variable', () => {
    const r = interpolateDyn('$${{ git.sha }}', new Map(), { 'git.sha': 'MATRIX_GIT_SHA' });
    expect(r.value).toEqual({ parts: ['$', { variable: 'MATRIX_GIT_SHA' }] });
    expect(hclDyn(r.value)).toBe('"${"$"}${MATRIX_GIT_SHA}"');
  });
});
