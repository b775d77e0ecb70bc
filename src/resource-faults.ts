// What to do when the machine ran out of a resource while matrix opened a file
// or started a program: the hints of src/adapters/process.ts (spawn faults)
// and of the error boundary when even its own code cannot be loaded
// (src/cli/main.ts). Here, in a module of its own, so the boundary needs no chunk to say it.
export const RESOURCE_HINTS: Readonly<Record<'EMFILE' | 'ENFILE' | 'ENOMEM', string>> = {
  EMFILE: 'matrix may open no more files: raise the limit (`ulimit -n`) and run it again',
  ENFILE: "the system's table of open files is full: close other programs or raise fs.file-max, then run it again",
  ENOMEM: 'free memory (or raise the memory limit) and run it again',
};

/** What to do about `code` (an errno such as a FileFault's or a Node error's `code`), when it is a resource running out. */
export function resourceHint(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(RESOURCE_HINTS, code) ? RESOURCE_HINTS[code as keyof typeof RESOURCE_HINTS] : undefined;
}
