export interface FixtureImages {
  toolchain: string;
  runtime: string;
  /** linux/amd64 + linux/arm64: npm, pip and a C compiler (stages that run as the target), a JRE and PHP. */
  platform?: string;
  /** linux/amd64 JDK and Maven with Debian's local Maven repository. */
  jdk?: string;
}
export function fixtureArgs(images: FixtureImages): Record<string, string>;
export function fixtureSetFlags(images: FixtureImages): string[];
