/** `text` as a regular expression that matches exactly it: every character that means something to RegExp (with or without the `u` flag) is escaped. */
export function literalRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
