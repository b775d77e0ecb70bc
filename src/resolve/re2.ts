// RE2 (linear-time regular expressions, Go's regexp syntax), loaded on first
// use through lazyImport: only a repository's own template with `detect`
// patterns needs it.
export { RE2JS } from 're2js';
