// The diagnostic each hostile or malformed spec in this directory must produce
// (`NAME.yaml` -> EXPECTED[NAME]). `file` is where the problem is reported when it
// is not the spec itself (a user template). Positions are 1-based line:column.
//
// `bug` marks a case that fails because of a known bug outside test/security:
// the expectation is what the issue asks for, and the text says what is missing.

export interface Expected {
  code: string;
  line: number;
  column: number;
  file?: string;
  bug?: string;
}

export const EXPECTED: Record<string, Expected> = {
  // Malformed YAML: reported where the parser notices.
  'yaml-unclosed-flow': { code: 'yaml-syntax', line: 7, column: 5 },
  'yaml-tab-indent': { code: 'yaml-syntax', line: 3, column: 1 },
  // The caret is at the key that is off by a space (column 4), not the start of its line.
  'yaml-bad-indent': { code: 'yaml-syntax', line: 5, column: 4 },
  'yaml-unterminated-quote': { code: 'yaml-syntax', line: 8, column: 1 },
  'yaml-two-documents': { code: 'yaml-syntax', line: 6, column: 1 },

  // Wrong types, and values YAML would silently turn into something else.
  'type-services-list': { code: 'wrong-type', line: 3, column: 3 },
  'type-version-string': { code: 'invalid-value', line: 1, column: 10 },
  'type-platforms-scalar': { code: 'wrong-type', line: 6, column: 16 },
  'type-args-map-value': { code: 'wrong-type', line: 7, column: 11 },
  'type-empty-file': { code: 'wrong-type', line: 1, column: 1 },
  'type-number-changes': { code: 'ambiguous-value', line: 7, column: 19 },
  'type-binary-tag': { code: 'unknown-tag', line: 7, column: 13 },
  'file-template-link-to-dev-zero': { code: 'path-outside-repo', line: 5, column: 15 },
  'tag-custom-scalar': { code: 'unknown-tag', line: 6, column: 16 },
  'tag-on-key': { code: 'unknown-tag', line: 7, column: 7 },
  'tag-set-in-flow': { code: 'unknown-tag', line: 5, column: 27 },
  'tag-verbatim-with-anchor': { code: 'unknown-tag', line: 7, column: 18 },
  'type-yaml11-boolean': { code: 'ambiguous-value', line: 9, column: 14 },

  // Unknown, misspelled and odd keys.
  'key-misspelled-platforms': { code: 'unknown-key', line: 6, column: 5 },
  'key-unknown-top-level': { code: 'unknown-key', line: 2, column: 1 },
  'key-unknown-in-secret': { code: 'unknown-key', line: 7, column: 21 },
  'key-yaml-merge-key': { code: 'unknown-key', line: 4, column: 5 },
  'key-collection-key': { code: 'invalid-key', line: 7, column: 9 },
  'key-null-key': { code: 'invalid-key', line: 7, column: 7 },
  'key-constructor-dependency': { code: 'unknown-dependency', line: 6, column: 18 },
  'key-constructor-param': { code: 'unknown-param', line: 7, column: 7 },
  // An exclude key is read from each combination as `cell[KEY]`: `constructor` found Object's and crashed (a bug in matrix).
  'key-constructor-exclude': { code: 'unknown-axis', line: 9, column: 11 },

  // Duplicate keys: the later one would silently win.
  'dup-service': { code: 'duplicate-key', line: 9, column: 3 },
  'dup-arg': { code: 'duplicate-key', line: 9, column: 7 },
  'dup-quoted-vs-plain-label': { code: 'duplicate-key', line: 8, column: 7 },

  // Expansion bombs: aliases, and a matrix whose product is 10^10 targets.
  'alias-billion-laughs': { code: 'yaml-alias-limit', line: 1, column: 1 },
  // An alias inside its own anchor's node: a value that contains itself (YAML 1.2.2 3.2.1.1); it overflowed the stack.
  'alias-self-cycle': { code: 'yaml-alias-cycle', line: 7, column: 10 },
  'alias-matrix-explosion': { code: 'matrix-too-large', line: 7, column: 7 },
  // A matrix under defaults: 10^12 per service, and 1,000 per service x 60 services (issue 12).
  'defaults-matrix-explosion': { code: 'matrix-too-large', line: 6, column: 5 },
  'defaults-matrix-across-services': { code: 'too-many-targets', line: 6, column: 5 },

  // Nesting.
  'deep-flow-200': { code: 'yaml-too-deep', line: 2, column: 75 },
  'deep-flow-10000': { code: 'yaml-too-deep', line: 2, column: 75 },
  'deep-block-sequence': { code: 'yaml-too-deep', line: 69, column: 131 },

  // Service and target names.
  'name-matrix-cell-vs-service': { code: 'name-collision', line: 8, column: 3 },
  'name-matrix-same-combination-twice': { code: 'name-collision', line: 7, column: 7 },
  'name-upper-case': { code: 'invalid-name', line: 3, column: 3 },
  'name-reserved-default': { code: 'reserved-name', line: 3, column: 3 },
  'name-reserved-metadata-action': { code: 'reserved-name', line: 3, column: 3 },
  'name-leading-dash': { code: 'invalid-name', line: 3, column: 3 },
  'name-interpolation': { code: 'invalid-name', line: 3, column: 3 },

  // Control characters, bidi controls, lone surrogates, bytes that are not UTF-8.
  'char-nul-in-value': { code: 'control-character', line: 7, column: 14 },
  'char-nul-in-key': { code: 'control-character', line: 7, column: 7 },
  'char-escape-in-tag': { code: 'control-character', line: 6, column: 12 },
  'char-bidi-in-label-raw': { code: 'bidi-control', line: 7, column: 14 },
  'char-bidi-in-key': { code: 'bidi-control', line: 9, column: 7 },
  'char-lone-surrogate-value': { code: 'invalid-unicode', line: 7, column: 14 },
  'char-lone-surrogate-key': { code: 'invalid-unicode', line: 7, column: 7 },
  'char-invalid-utf8': { code: 'invalid-unicode', line: 7, column: 14 },
  'char-not-nfc': { code: 'not-normalized', line: 7, column: 14 },

  // Line breaks in anything that reaches a Dockerfile or a command line.
  'newline-in-with': { code: 'line-break', line: 7, column: 15 },
  'newline-in-tag': { code: 'line-break', line: 6, column: 12 },
  'newline-in-context': { code: 'line-break', line: 4, column: 14 },
  'newline-in-dockerfile': { code: 'line-break', line: 5, column: 17 },
  'newline-in-template-path': { code: 'line-break', line: 5, column: 15 },
  'newline-in-secret-src': { code: 'line-break', line: 7, column: 26 },
  'newline-in-target-stage': { code: 'line-break', line: 6, column: 13 },
  'newline-line-separator-in-with': { code: 'line-break', line: 7, column: 15 },

  // `${...}` and `%{...}` where a name is expected are refused (values: see the accepted cases).
  'interp-in-arg-name': { code: 'invalid-name', line: 7, column: 7 },
  'interp-in-tag': { code: 'invalid-tag', line: 6, column: 12 },
  'interp-directive-in-platform': { code: 'invalid-format', line: 6, column: 17 },
  'interp-in-secret-id': { code: 'invalid-format', line: 7, column: 14 },
  'interp-in-matrix-axis': { code: 'invalid-name', line: 7, column: 7 },
  'interp-in-target-stage': { code: 'invalid-format', line: 6, column: 13 },
  'interp-unknown-variable': { code: 'unknown-variable', line: 6, column: 12 },
  'interp-in-registry': { code: 'invalid-tag', line: 2, column: 11 },

  // Fields bake splits as CSV.
  'csv-comma-in-secret-id': { code: 'invalid-format', line: 7, column: 14 },
  'csv-comma-in-secret-env': { code: 'invalid-format', line: 7, column: 22 },

  // Image references.
  'ref-upper-case': { code: 'invalid-tag', line: 6, column: 12 },
  'ref-space-in-tag': { code: 'invalid-tag', line: 6, column: 12 },
  'ref-tag-too-long': { code: 'invalid-tag', line: 6, column: 12 },
  'ref-flag-like': { code: 'invalid-tag', line: 6, column: 12 },
  'ref-bad-registry': { code: 'invalid-tag', line: 2, column: 11 },
  'ref-duplicate-tag': { code: 'duplicate-tag', line: 10, column: 11 },
  'ref-duplicate-tag-in-target': { code: 'duplicate-item', line: 7, column: 7 },

  // Paths that leave the repository.
  'path-context-dotdot': { code: 'path-outside-repo', line: 4, column: 14 },
  'path-context-absolute': { code: 'absolute-path', line: 4, column: 14 },
  'path-context-url': { code: 'remote-path', line: 4, column: 14 },
  'path-context-git-ssh': { code: 'remote-path', line: 4, column: 14 },
  'path-context-symlink-out': { code: 'path-outside-repo', line: 4, column: 14 },
  'path-context-windows': { code: 'absolute-path', line: 4, column: 14 },
  'path-dockerfile-dotdot': { code: 'path-outside-repo', line: 5, column: 17 },
  'path-dockerfile-absolute': { code: 'absolute-path', line: 5, column: 17 },
  'path-dockerfile-symlink-out': { code: 'path-outside-repo', line: 5, column: 17 },
  'path-template-dotdot': { code: 'path-outside-repo', line: 5, column: 15 },
  'path-template-absolute': { code: 'absolute-path', line: 5, column: 15 },
  'path-template-url': { code: 'remote-path', line: 5, column: 15 },
  'path-template-symlink-out': { code: 'path-outside-repo', line: 5, column: 15 },
  'path-bake-file-dotdot': { code: 'output-outside-repo', line: 2, column: 12 },
  'path-bake-file-through-symlink': { code: 'output-outside-repo', line: 2, column: 12 },

  // Dependencies.
  'dep-cycle': { code: 'dependency-cycle', line: 6, column: 17 },
  'dep-self': { code: 'dependency-cycle', line: 6, column: 18 },
  'dep-unknown': { code: 'unknown-dependency', line: 6, column: 18 },
  'dep-platform-subset': { code: 'platform-mismatch', line: 11, column: 18 },

  // Platforms.
  'platform-unknown': { code: 'unknown-platform', line: 6, column: 30 },
  'platform-alias': { code: 'unknown-platform', line: 6, column: 17 },

  // Outputs that are not ours to replace: reported where the spec asks for them.
  'out-bake-file-is-dir': { code: 'output-not-a-file', line: 1, column: 1 },
  'out-bake-file-hand-written': { code: 'not-generated', line: 1, column: 1 },
  'out-dockerfile-is-dir': { code: 'output-not-a-file', line: 5, column: 15 },
  'out-dockerfile-hand-written': { code: 'not-generated', line: 5, column: 15 },
  'out-dockerfile-symlink': { code: 'output-not-a-file', line: 5, column: 15 },

  // User templates: the same helpers, no bare values, no missing variables.
  'tpl-bare-value': { code: 'template-error', file: 'tpl/bare.hbs', line: 7, column: 9 },
  'tpl-value-property': { code: 'template-error', file: 'tpl/property.hbs', line: 7, column: 9 },
  'tpl-missing-variable': { code: 'template-error', file: 'tpl/missing.hbs', line: 8, column: 9 },
  'tpl-lookup-helper': { code: 'template-error', file: 'tpl/lookup.hbs', line: 7, column: 9 },
  'tpl-partial': { code: 'template-error', file: 'tpl/partial.hbs', line: 7, column: 1 },
  'tpl-unknown-param': { code: 'unknown-param', line: 7, column: 7 },
  'tpl-quote-in-ident': { code: 'template-error', file: 'tpl/ident.hbs', line: 7, column: 5 },
  // Handlebars raises these without a position (a TypeError reading `x` of the missing `wiht`;
  // helpers/each.js "Must pass iterator to #each"); matrix says where.
  'tpl-typo-context': { code: 'template-error', file: 'tpl/typo.hbs', line: 7, column: 7 },
  'tpl-each-no-list': { code: 'template-error', file: 'tpl/each.hbs', line: 7, column: 1 },
  'tpl-unknown-helper': { code: 'template-error', file: 'tpl/helper.hbs', line: 7, column: 10 },

  // Never run what a spec value says: parameters by kind, helpers by where they land (issue 12).
  'param-go-main-option': { code: 'invalid-param', line: 7, column: 13 },
  'param-go-ldflags-extld': { code: 'invalid-param', line: 7, column: 16 },
  'param-rust-binary-command': { code: 'invalid-param', line: 7, column: 15 },
  'param-python-requirements-option': { code: 'invalid-param', line: 7, column: 21 },
  'template-sh-inside-quotes': { code: 'template-error', file: 'tpl/quoted.hbs', line: 7, column: 11 },
  'template-value-in-directive': { code: 'template-error', file: 'tpl/directive.hbs', line: 6, column: 10 },
  'template-dash-word': { code: 'template-error', file: 'tpl/dash.hbs', line: 7, column: 27 },
  'platform-node-windows': { code: 'unsupported-platform', line: 6, column: 30 },

  // Never leak a secret: a secret file the image would copy, cache refs buildx would split or refuse.
  'secret-src-in-context': { code: 'secret-in-context', line: 8, column: 14 },
  'cache-ref-csv-split': { code: 'invalid-cache-ref', line: 8, column: 12 },
  'cache-ref-upper-tag': { code: 'invalid-cache-ref', line: 6, column: 34 },

  // builders: nothing can add a `docker buildx create` flag or driver option.
  'builder-driver-opt-comma': { code: 'invalid-driver-opt', line: 10, column: 28 },
  'builder-endpoint-option': { code: 'invalid-endpoint', line: 9, column: 17 },
};
