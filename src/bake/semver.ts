// The parts of the `semver` package matrix uses (docker/metadata-action reads
// versions with the same package), loaded on first use through lazyImport
// (src/lazy.ts): building its regular expressions costs about 2 ms at load, and
// only a version tag needs them, never a compile or an up-to-date check.
import parse from 'semver/functions/parse.js';
import rcompare from 'semver/functions/rcompare.js';

export { parse, rcompare };
