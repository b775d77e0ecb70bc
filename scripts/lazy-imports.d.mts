// Types of scripts/lazy-imports.mjs, for the vitest configs.
export function hoistLazyImports(code: string): string | undefined;
export function splitLazyImports(text: string): string;
export const hoistLazyImportsVite: { name: string; enforce: 'pre'; transform(code: string, id: string): { code: string; map: null } | undefined };
