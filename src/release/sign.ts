// Signing what a release published: `cosign sign` on each index digest with
// the spec's key pair, offline (`--tlog-upload=false`: no transparency log,
// https://docs.sigstore.dev/cosign/signing/overview/), and the matching
// `cosign verify --insecure-ignore-tlog=true`. The key is a file path or an
// environment variable's name (cosign's `env://NAME`), never a value; every
// spec value is one `--flag=value` word, and the image comes after `--`.
import path from 'node:path';
import { COSIGN, endOf, type AbnormalEnd } from '../adapters/exit.js';
import type { Captured } from '../adapters/process.js';
import { isLocalRegistry } from '../doctor/doctor.js';
import type { SignInput } from '../spec.js';
import { parseReference } from '../ci/registry.js';

/** The `--key` reference of the private key. */
export function privateKeyRef(sign: SignInput, specDir: string): string {
  return sign.key_env ? `env://${sign.key_env}` : path.resolve(specDir, sign.key!);
}

/** A local registry speaks plain HTTP: cosign must be told so (only there). */
function httpFlag(ref: string): string[] {
  return isLocalRegistry(parseReference(ref).host) ? ['--allow-http-registry=true'] : [];
}

export function signArgs(sign: SignInput, specDir: string, ref: string): string[] {
  return ['sign', '--yes', '--tlog-upload=false', ...httpFlag(ref), `--key=${privateKeyRef(sign, specDir)}`, '--', ref];
}

export function verifyArgs(publicKey: string, ref: string): string[] {
  return ['verify', '--insecure-ignore-tlog=true', ...httpFlag(ref), `--key=${publicKey}`, '--', ref];
}

/** The spec's `sign:` (from the spec as written), if any. */
export function signOf(specValue: unknown): SignInput | undefined {
  return (specValue as { sign?: SignInput } | undefined)?.sign;
}

/**
 * How a cosign command (`args` as signArgs or verifyArgs give them) ended,
 * when not on its own terms: killed by a signal, or a `cosign` wrapper whose
 * program was not found (127) or not executable (126); src/adapters/exit.ts.
 */
export function cosignEnd(args: readonly string[], r: Captured): AbnormalEnd | undefined {
  return endOf(`cosign ${args[0]}`, r, { plugin: false, program: COSIGN });
}
