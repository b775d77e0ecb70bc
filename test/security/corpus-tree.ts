// Files every corpus case's repository holds besides its matrix.yaml, and the
// extra pieces single cases need (symbolic links, directories, hand-written
// outputs). `$OUTSIDE` in a link target is a directory outside the repository.
import type { Tree } from '../helpers/tree.js';

const FRONT = (params: string) => `{{!--\ndescription: corpus template\nparams:\n${params}--}}\n`;

export const BASE_TREE: Tree = {
  'api/go.mod': 'module example.com/api\n',
  'web/go.mod': 'module example.com/web\n',
  'tpl/ok.hbs': FRONT('  binary: { default: app }\n') + 'FROM scratch\nCOPY {{word with.binary}} /\n',
  'tpl/bare.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nLABEL x={{with.x}}\n',
  'tpl/property.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nLABEL x={{word with.x.value}}\n',
  'tpl/missing.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nRUN true\nLABEL x={{word with.nope}}\n',
  'tpl/lookup.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nLABEL x={{lookup with "x"}}\n',
  'tpl/partial.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\n{{> evil}}\n',
  'tpl/quoted.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nRUN echo "{{sh with.x}}"\n',
  'tpl/directive.hbs': FRONT('  x: { default: "v" }\n') + '# syntax={{word with.x}}\nFROM scratch\n',
  // A list element may start with `-` (the kind allows options after the first word); as a shell word it may not.
  'tpl/dash.hbs': FRONT('  l: { default: ["a"] }\n') + 'FROM scratch\nRUN tool {{#each with.l}} {{sh this}}{{/each}}\n',
  'tpl/ident.hbs': FRONT('  name: { required: true }\n') + 'FROM scratch\nARG {{ident with.name}}\n',
  // Raised while rendering, with no position before: a TypeError of the compiled code, Handlebars' own helpers.
  'tpl/typo.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\n{{#if wiht.x}}\nRUN true\n{{/if}}\n',
  'tpl/each.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\n{{#each}}\nRUN true\n{{/each}}\n',
  'tpl/helper.hbs': FRONT('  x: { default: "v" }\n') + 'FROM scratch\nRUN {{sh (wrod with.x)}}\n',
};

export const CASE_TREES: Record<string, Tree> = {
  'path-context-symlink-out': { escape: { symlink: '/' } },
  'path-dockerfile-symlink-out': { 'api/Dockerfile.link': { symlink: '/etc/passwd' } },
  'path-template-symlink-out': { 'tpl/link.hbs': { symlink: '/etc/passwd' } },
  // /dev/zero would feed a reader without end: refused before anything opens it.
  'file-template-link-to-dev-zero': { 'tpl/zero.hbs': { symlink: '/dev/zero' } },
  'path-bake-file-through-symlink': { out: { symlink: '$OUTSIDE' } },
  'out-bake-file-is-dir': { 'docker-bake.hcl/keep': 'mine\n' },
  'out-bake-file-hand-written': { 'docker-bake.hcl': 'target "mine" {}\n' },
  'out-dockerfile-is-dir': { 'api/Dockerfile/keep': 'mine\n' },
  'out-dockerfile-hand-written': { 'api/Dockerfile': 'FROM scratch\n' },
  'out-dockerfile-symlink': { 'api/Dockerfile': { symlink: '$OUTSIDE/Dockerfile' } },
};
