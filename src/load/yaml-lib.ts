// The yaml package, loaded on first use (src/lazy.ts). A spec in plain YAML
// (load/plain-yaml.ts) is read without it; it is needed only for a spec in
// YAML's other forms, for a diagnostic's position, and for a template's front
// matter that was not compiled at build time.
import { lazyImport } from '../lazy.js';

export const yamlLib = lazyImport(() => import('./yaml-parts.js'));
