// Types of scripts/chunk-exports.mjs, for the tests.
export function exportsInPlace(code: string): string;
export function builtinDefaults(code: string): string;
