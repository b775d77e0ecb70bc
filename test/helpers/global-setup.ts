// Build the bundle once before any test: the CLI tests run bin/matrix.cjs,
// which loads dist/. Never test a stale bundle.
//
// And the suite leaves the machine as it found it: the system's temp directory
// is shared (sticky and world-writable), and a test running as root once made
// it 0755 by changing the mode of its repository's parent, which was that
// directory; from then on other users' programs could not write there (apt's
// sandboxed downloads in the fixture build beside the tests failed). Its mode
// and owner are compared when the suite ends.
//
// The run's temporary files go to a directory of its own, removed at the end
// (test/helpers/run-temp.ts).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRunTempDir } from './run-temp.js';

export default function setup(): () => void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node scripts/build.mjs failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const tmp = os.tmpdir();
  const before = statOf(tmp);
  const removeRunTemp = useRunTempDir('tests');
  return () => {
    removeRunTemp();
    const after = statOf(tmp);
    if (after !== before) throw new Error(`the suite changed ${tmp} (mode and owner ${before}, now ${after}): a test must change only directories it made`);
  };
}

function statOf(dir: string): string {
  const st = statSync(dir);
  return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
}
