export interface FixtureImages {
  toolchain: string;
  runtime: string;
}
export function fixtureArgs(images: FixtureImages): Record<string, string>;
export function fixtureSetFlags(images: FixtureImages): string[];
