// Issue 13, "Platforms": a platform a built-in template cannot produce is
// refused by validate (and gen, bake) with the template named, while `plan`
// shows it beside the others as "unsupported" and says why as a warning.
import { afterAll, describe, expect, it } from 'vitest';
import { matrix } from '../helpers/cli.js';
import { removeTempDirs, tempRepo } from '../helpers/tree.js';

afterAll(removeTempDirs);

const SPEC = 'version: 1\nplatforms: [linux/amd64, windows/amd64]\nservices:\n  web:\n    context: web\n    template: node\n';

describe('plan and a platform the template cannot produce', () => {
  it('plan marks it unsupported (text and JSON), with the located warning; validate and gen refuse it', async () => {
    const dir = tempRepo({ 'matrix.yaml': SPEC, 'web/package.json': '{ "name": "web" }\n' });
    const text = await matrix(['plan'], dir);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('windows/amd64 unsupported');
    expect(text.stdout).toContain('linux/amd64 native');
    expect(text.stderr).toMatch(/matrix\.yaml:2:26: warning template `node` cannot produce windows\/amd64 \[unsupported-platform\]/);
    const json = JSON.parse((await matrix(['plan', '--json'], dir)).stdout) as { targets: { platforms: { platform: string; mode: string }[] }[] };
    expect(json.targets[0]!.platforms).toEqual([
      { platform: 'linux/amd64', mode: 'native' },
      { platform: 'windows/amd64', mode: 'unsupported' },
    ]);
    for (const cmd of ['validate', 'gen']) {
      const r = await matrix([cmd], dir);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr).toMatch(/matrix\.yaml:2:26: error template `node` cannot produce windows\/amd64 \[unsupported-platform\]/);
    }
  });
});
