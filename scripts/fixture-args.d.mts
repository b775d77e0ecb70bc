export interface FixtureImages {
  toolchain: string;
  runtime: string;
  /** linux/amd64 + linux/arm64 with npm, pip and a C compiler (stages that run as the target). */
  platform?: string;
}
export function fixtureArgs(images: FixtureImages): Record<string, string>;
export function fixtureSetFlags(images: FixtureImages): string[];
