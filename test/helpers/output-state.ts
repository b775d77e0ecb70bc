// The reference a digest read is held to: the state outputState reads whole,
// with its text replaced by the text's digest (and, for a bake file, the files
// its header lists). Resolve and sync read a large spec's outputs this way
// with output/existing.ts outputDigestState, which never makes the text.
import { type OutputState, previousManifest } from '../../src/output/existing.js';
import { textDigest } from '../../src/output/digest.js';

export function withoutText(state: OutputState, manifest = false): OutputState {
  if (state.kind !== 'file' || state.text === undefined) return state;
  return { kind: 'file', digest: textDigest(state.text), ours: state.ours, ...(manifest ? { manifest: previousManifest(state.text) } : {}) };
}
