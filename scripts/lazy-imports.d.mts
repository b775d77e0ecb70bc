// Types of scripts/lazy-imports.mjs, for the vitest configs.
export function hoistLazyImports(code: string): string | undefined;
export function splitLazyImports(text: string): string;
export const hoistLazyImportsVite: { name: string; enforce: 'pre'; transform(code: string, id: string): { code: string; map: null } | undefined };
export const LAZY_BUILTINS: RegExp;
export function lazyBuiltinModule(id: string): string;
export const lazyBuiltinsPlugin: { name: string; setup(build: unknown): void };
