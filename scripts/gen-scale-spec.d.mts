// Types for scripts/gen-scale-spec.mjs, as the tests import it.
export function scaleSpec(n: number): string;
export function serviceName(i: number): string;
export function writeScaleRepo(n: number, dir: string): void;
