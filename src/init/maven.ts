// `matrix init`: Maven reactors (multi-module projects). Maven builds the
// modules an aggregator's `<modules>` lists (directories relative to it,
// aggregators nested in turn), in one reactor, resolving a module's dependency
// on a sibling from the reactor itself
// (maven.apache.org/guides/mini/guide-multiple-modules.html). So a module is
// built with `mvn` at the top reactor root, the build context, and its jar is
// taken from MODULE/target. A `pom` packaging writes no jar (it binds no plugin
// to `package`: maven.apache.org/ref/current/maven-core/default-bindings.html).
// A module's `<parent>` (default relativePath ../pom.xml) gives it its
// properties, dependencies and plugins (maven.apache.org/pom.html#inheritance).
// Line-oriented reads of the XML, no full parser, as in manifests.ts.
import path from 'node:path';
import type { Finding } from './scan.js';
import { ancestors, isWithin, type Read, relativeTo, underRoot } from './workspaces.js';

export interface PomPlugin {
  artifactId: string;
  /** The plugin element's text (configuration, executions). */
  text: string;
}

export interface Pom {
  /** `jar` when not given. */
  packaging: string;
  /** `<modules>` outside profiles, as written. */
  modules: string[];
  artifactId?: string;
  version?: string;
  finalName?: string;
  parent?: { artifactId?: string; version?: string; relativePath?: string };
  /** `<build><plugins>` (not pluginManagement, not profiles). */
  plugins: PomPlugin[];
  /** `<dependencies>` of the project (not dependencyManagement): artifactId and scope. */
  dependencies: { artifactId: string; scope: string }[];
  /** The Java version the java template's `java_version` would detect in this pom, if any. */
  javaVersion?: string;
}

const strip = (xml: string, tags: readonly string[]) => tags.reduce((t, tag) => t.replace(new RegExp(`<${tag}(?:\\s[^>]*)?>[\\s\\S]*?</${tag}\\s*>`, 'g'), ''), xml);
const inner = (xml: string, tag: string) => new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`).exec(xml)?.[1];
const value = (xml: string, tag: string) => inner(xml, tag)?.trim() || undefined;
const all = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`, 'g'))].map((m) => m[1]!);

/** The java template's `detect` patterns for `java_version`, in its order (templates/java.Dockerfile.hbs). */
const JAVA_VERSION = ['maven\\.compiler\\.release', 'release', 'java\\.version', 'maven\\.compiler\\.target'].map((t) => new RegExp(`<${t}>\\s*(?:1\\.)?([0-9]+)\\s*</${t}>`));

export function readPom(text: string): Pom {
  // As the template's detect reads it: the whole file, comments too.
  const javaVersion = JAVA_VERSION.map((re) => re.exec(text)?.[1]).find(Boolean);
  const xml = text.replace(/<!--[\s\S]*?-->/g, '');
  const body = strip(xml, ['profiles', 'reporting', 'dependencyManagement', 'pluginManagement']);
  const parentText = inner(body, 'parent');
  const build = inner(body, 'build') ?? '';
  const plugins = all(inner(build, 'plugins') ?? '', 'plugin').map((p) => ({ artifactId: value(strip(p, ['configuration', 'executions', 'dependencies']), 'artifactId') ?? '', text: p }));
  const rest = strip(body, ['parent', 'build']);
  const dependencies = all(inner(rest, 'dependencies') ?? '', 'dependency').map((d) => ({ artifactId: value(strip(d, ['exclusions']), 'artifactId') ?? '?', scope: value(d, 'scope') ?? 'compile' }));
  const top = strip(rest, [
    'dependencies',
    'modules',
    'properties',
    'distributionManagement',
    'scm',
    'developers',
    'contributors',
    'licenses',
    'organization',
    'repositories',
    'pluginRepositories',
    'mailingLists',
    'issueManagement',
    'ciManagement',
  ]);
  const relativePath = parentText === undefined ? undefined : /<relativePath\s*\/>/.test(parentText) ? '' : inner(parentText, 'relativePath')?.trim();
  return {
    packaging: value(top, 'packaging') ?? 'jar',
    modules: all(inner(rest, 'modules') ?? '', 'module')
      .map((m) => m.trim())
      .filter(Boolean),
    ...opt('artifactId', value(top, 'artifactId')),
    ...opt('version', value(top, 'version')),
    ...opt('finalName', value(strip(build, ['plugins']), 'finalName')),
    ...(parentText !== undefined ? { parent: { ...opt('artifactId', value(parentText, 'artifactId')), ...opt('version', value(parentText, 'version')), ...opt('relativePath', relativePath) } } : {}),
    plugins,
    dependencies,
    ...opt('javaVersion', javaVersion),
  };
}

function opt<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

const cache = new WeakMap<Read, Map<string, Pom | undefined>>();

/** The pom.xml of directory `dir` (relative to the scan root), parsed once per scan. */
export function pomAt(dir: string, read: Read): Pom | undefined {
  let memo = cache.get(read);
  if (!memo) cache.set(read, (memo = new Map()));
  if (!memo.has(dir)) {
    const text = read(path.posix.join(dir, 'pom.xml'));
    memo.set(dir, text === undefined ? undefined : readPom(text));
  }
  return memo.get(dir);
}

export interface MavenReactor {
  /** The top aggregator's directory: where `mvn` runs. */
  dir: string;
  /** Why Maven cannot build this reactor in that context, if it cannot. */
  problem?: string;
}

/** The top reactor whose modules (nested aggregators followed) include `rel`, or that `rel` is the root of. */
export function mavenReactorOf(rel: string, read: Read): MavenReactor | undefined {
  for (const dir of ancestors(rel).reverse()) {
    if (!pomAt(dir, read)?.modules.length) continue;
    const { members, problem } = reactorModules(dir, read);
    if (dir === rel || members.has(rel)) return { dir, ...(problem ? { problem } : {}) };
  }
  return undefined;
}

/** Every module directory of the reactor at `root`, and the first reason Maven would refuse it. */
function reactorModules(root: string, read: Read): { members: Set<string>; problem?: string } {
  const members = new Set<string>();
  const queue = [root];
  let problem: string | undefined;
  const say = (p: string) => (problem ??= p);
  for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
    const at = d === '.' ? 'the root' : d;
    const pom = pomAt(d, read);
    if (pom?.modules.length && pom.packaging !== 'pom') say(`the pom.xml at ${at} lists <modules> but its packaging is ${pom.packaging}, and Maven requires \`pom\` for an aggregator`);
    for (const m of pom?.modules ?? []) {
      const dir = underRoot(d, m.endsWith('.xml') ? path.posix.dirname(m) : m);
      if (dir === undefined || !isWithin(dir, root)) {
        say(`module ${m} of the pom.xml at ${at} is outside ${root === '.' ? 'the repository root' : root}, which the build context cannot hold`);
        continue;
      }
      if (m.endsWith('.xml') ? read(path.posix.join(d, m)) === undefined : !pomAt(dir, read)) {
        say(`module ${m} of the pom.xml at ${at} has no ${m.endsWith('.xml') ? 'such file' : 'pom.xml'}, and Maven stops the whole build on it ("Child module ... does not exist")`);
        continue;
      }
      if (members.has(dir) || dir === root) continue;
      members.add(dir);
      queue.push(dir);
    }
  }
  return { members, ...(problem ? { problem } : {}) };
}

/** The module's pom and its parents found in the repository (relativePath, default ../pom.xml), nearest first. */
export function pomChain(rel: string, read: Read): Pom[] {
  const chain: Pom[] = [];
  let dir: string | undefined = rel;
  for (let pom = pomAt(rel, read); pom && chain.length < 16; ) {
    chain.push(pom);
    const p = pom.parent;
    if (!p || p.relativePath === '' || dir === undefined) break;
    const rp = p.relativePath ?? '../pom.xml';
    const file = underRoot(dir, rp.endsWith('.xml') ? rp : path.posix.join(rp, 'pom.xml'));
    dir = file === undefined || path.posix.basename(file) !== 'pom.xml' ? undefined : path.posix.dirname(file);
    const next = dir === undefined ? undefined : pomAt(dir, read);
    // Maven takes the pom there only when it is the parent named (else it looks in the repositories).
    if (!next || (p.artifactId !== undefined && next.artifactId !== p.artifactId)) break;
    pom = next;
  }
  return chain;
}

/** How a module's jar runs with `java -jar` (for the comment), and the file when target/ holds a second jar; or why it is not proposed. */
export type Runnable = { how: string; file?: string } | { why: string };

const LIBRARY =
  'a library: no spring-boot-maven-plugin repackage, no maven-shade-plugin or maven-assembly-plugin (jar-with-dependencies) with a main class, and no <mainClass> in the manifest of maven-jar-plugin';

/**
 * Whether `mvn package` makes a jar `java -jar` runs, decided conservatively
 * from the module's own build plugins and the dependencies it and its parents
 * (`chain`, nearest first) declare: a Spring Boot repackage, a shade or an
 * assembly jar-with-dependencies with a main class (its dependencies inside),
 * or maven-jar-plugin's manifest `<mainClass>` when there are no runtime
 * dependencies, or they are copied to target/lib for its `Class-Path`.
 */
export function runnableJar(chain: readonly Pom[]): Runnable {
  const pom = chain[0]!;
  const plugin = (id: string) => pom.plugins.find((p) => p.artifactId === id)?.text;
  const jarMain = value(plugin('maven-jar-plugin') ?? '', 'mainClass');
  const boot = plugin('spring-boot-maven-plugin');
  if (boot !== undefined && (/<goal>\s*repackage\s*<\/goal>/.test(boot) || chain.some((p) => p.parent?.artifactId === 'spring-boot-starter-parent'))) {
    return attached(pom, value(boot, 'classifier'), 'spring-boot-maven-plugin (repackage: the jar holds its dependencies)');
  }
  const shade = plugin('maven-shade-plugin');
  const shadeMain = shade === undefined ? undefined : (value(shade, 'mainClass') ?? jarMain);
  if (shade !== undefined && shadeMain) {
    const classifier = /<shadedArtifactAttached>\s*true\s*</.test(shade) ? (value(shade, 'shadedClassifierName') ?? 'shaded') : undefined;
    return attached(pom, classifier, `maven-shade-plugin, main class ${shadeMain} (the jar holds its dependencies)`);
  }
  const assembly = plugin('maven-assembly-plugin');
  const assemblyMain = assembly === undefined ? undefined : value(assembly, 'mainClass');
  if (assembly !== undefined && assemblyMain && /<descriptorRef>\s*jar-with-dependencies\s*</.test(assembly)) {
    const classifier = /<appendAssemblyId>\s*false\s*</.test(assembly) ? undefined : 'jar-with-dependencies';
    return attached(pom, classifier, `maven-assembly-plugin jar-with-dependencies, main class ${assemblyMain}`);
  }
  if (!jarMain) return { why: LIBRARY };
  const deps = [...new Set(chain.flatMap((p) => p.dependencies.filter((d) => !['test', 'provided', 'import'].includes(d.scope)).map((d) => d.artifactId)))];
  if (!deps.length) return { how: `maven-jar-plugin, manifest mainClass ${jarMain}, no runtime dependencies` };
  const jar = plugin('maven-jar-plugin')!;
  const copied =
    /<goal>\s*copy-dependencies\s*<\/goal>/.test(plugin('maven-dependency-plugin') ?? '') &&
    /<outputDirectory>\s*\$\{project\.build\.directory\}\/lib\/?\s*</.test(plugin('maven-dependency-plugin') ?? '');
  if (/<addClasspath>\s*true\s*</.test(jar) && /<classpathPrefix>\s*lib\/?\s*</.test(jar) && copied) {
    return { how: `maven-jar-plugin, manifest mainClass ${jarMain} and Class-Path lib/, maven-dependency-plugin copy-dependencies to target/lib` };
  }
  return {
    why: `its manifest names main class ${jarMain}, but its runtime dependencies (${deps.join(', ')}) are neither in the jar nor copied to target/lib for the manifest's Class-Path: use spring-boot-maven-plugin, maven-shade-plugin or maven-assembly-plugin, or maven-dependency-plugin copy-dependencies to \${project.build.directory}/lib with <addClasspath> and <classpathPrefix>lib/</classpathPrefix>`,
  };
}

/** A plugin that attaches its jar with a classifier leaves two jars in target/: the one to run is named. */
function attached(pom: Pom, classifier: string | undefined, how: string): Runnable {
  if (classifier === undefined) return { how };
  const version = pom.version ?? pom.parent?.version;
  const name = pom.finalName ?? (pom.artifactId && version ? `${pom.artifactId}-${version}` : undefined);
  const file = name === undefined ? undefined : `${name}-${classifier}.jar`;
  if (file === undefined || !/^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/.test(file)) {
    return { why: `${how}, but it writes a second jar (classifier ${classifier}) whose file name init cannot tell: propose it yourself with \`jar:\` naming that file` };
  }
  return { how: `${how}; the ${classifier} jar`, file };
}

/**
 * The finding of the Maven project at `rel`: outside a reactor, the java
 * template at `rel` (as before reactors were read); in one, a module with a
 * runnable jar built at the reactor root with `jar: MODULE/target`, an
 * aggregator nothing, and anything else listed as not proposed, saying why.
 */
export function mavenFindings(rel: string, base: string, read: Read): Finding[] {
  const reactor = mavenReactorOf(rel, read);
  const pom = pomAt(rel, read);
  if (!reactor || !pom) {
    // One module: the java template at its directory, as before reactors were read; a packaging that writes no jar is none.
    if (pom && pom.packaging !== 'jar') return [{ dir: rel, kind: 'unsupported', nameHint: base, reason: 'pom.xml (Java, Maven)', note: packagingNote(pom.packaging) }];
    return [{ dir: rel, kind: 'java', nameHint: base, reason: 'pom.xml (Java, Maven)', note: JAVA_NOTE }];
  }
  const root = rel === reactor.dir;
  const at = reactor.dir === '.' ? 'the root' : reactor.dir;
  const reason = root ? 'pom.xml (Java, Maven), the root of a Maven reactor' : `pom.xml (Java, Maven), a module of the Maven reactor at ${at}`;
  const no = (note: string): Finding[] => [{ dir: rel, kind: 'unsupported', nameHint: base, reason, note }];
  if (reactor.problem) return root ? no(`${reactor.problem}: fix <modules> and run init again`) : [];
  if (pom.packaging === 'pom') return [];
  if (pom.packaging !== 'jar') return no(packagingNote(pom.packaging));
  const chain = pomChain(rel, read);
  const run = runnableJar(chain);
  if ('why' in run) return no(run.why);
  const member = relativeTo(rel, reactor.dir);
  const target = member === '.' ? 'target' : `${member}/target`;
  const jar = run.file ? `${target}/${run.file}` : target;
  // java_version is detected in the pom.xml at the context (the reactor root); a module whose own or inherited version differs says so.
  const own = chain.find((p) => p.javaVersion)?.javaVersion;
  const detected = pomAt(reactor.dir, read)?.javaVersion;
  const withs: Record<string, string> = {};
  if (jar !== 'target') withs.jar = jar;
  if (own !== undefined && own !== detected) withs.java_version = own;
  return [
    {
      dir: rel,
      ...(root ? {} : { context: reactor.dir }),
      kind: 'java',
      ...(Object.keys(withs).length ? { with: withs } : {}),
      nameHint: base,
      reason: root ? reason : `${reason} (built there)`,
      details: [`runnable jar: ${run.how}`, ...(withs.java_version ? [`Java ${own} from its pom.xml or a parent's; the pom.xml at ${at} says ${detected ?? 'nothing'}`] : [])],
      note: JAVA_NOTE,
    },
  ];
}

function packagingNote(packaging: string): string {
  return packaging === 'pom' ? 'packaging pom, without <modules>: `mvn package` writes no jar' : `packaging ${packaging}: the java template runs a jar`;
}

const JAVA_NOTE = "check the java template's parameters (`matrix templates java`)";
