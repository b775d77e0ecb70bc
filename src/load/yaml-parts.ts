// What matrix's compile uses of the yaml package, as an ES module of its own:
// load/yaml-lib.ts loads it on first use.
export { isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, Parser, parse, parseDocument } from 'yaml';
