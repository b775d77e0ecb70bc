// A size in a message: in the largest binary unit that divides it exactly (the
// limits are whole KiB or MiB), else counted in its own unit: "32 MiB",
// "64 KiB", "1500 bytes". Bytes for files, characters (UTF-16 code units) for
// a program's output as Node decodes it.
export function sizeText(n: number, unit: 'bytes' | 'characters'): string {
  const mebibyte = 1024 * 1024;
  if (n >= mebibyte && n % mebibyte === 0) return `${n / mebibyte} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} ${unit}`;
}
