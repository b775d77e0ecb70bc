// bake reads cache-from/cache-to, secret, output and attest entries as CSV:
// a field with a comma, quote or leading/trailing space must be quoted.
export function csvField(field: string): string {
  return /[",\s]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
