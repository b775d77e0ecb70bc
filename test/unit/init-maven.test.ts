// `matrix init` on Maven reactors. Maven builds the modules an aggregator's
// `<modules>` lists (directories relative to it, aggregators nested in turn)
// in one reactor, and resolves a dependency on a sibling module from it
// (maven.apache.org/guides/mini/guide-multiple-modules.html): a module is
// built with `mvn` at the reactor root, its jar taken from MODULE/target. A
// `pom` packaging binds no plugin to `package`, so it writes no jar
// (maven.apache.org/ref/current/maven-core/default-bindings.html); a module
// inherits its parent's properties, dependencies and plugins, the parent found
// at `<relativePath>`, by default ../pom.xml (maven.apache.org/pom.html, "Inheritance",
// `modules`, `packaging`). Only a module whose jar runs with `java -jar` is a service.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readPom, runnableJar } from '../../src/init/maven.js';
import { scanRepository } from '../../src/init/scan.js';
import { matrix } from '../helpers/cli.js';
import { REPO_ROOT, removeTempDirs, tempRepo, type Tree } from '../helpers/tree.js';

afterAll(removeTempDirs);

type Spec = { services: Record<string, { context: string; template?: string; with?: Record<string, unknown> }> };

const project = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n${body}</project>\n`;
const aggregator = (id: string, modules: string[], extra = '') =>
  project(
    `  <groupId>g</groupId>\n  <artifactId>${id}</artifactId>\n  <version>1.0</version>\n  <packaging>pom</packaging>\n  <modules>\n${modules.map((m) => `    <module>${m}</module>\n`).join('')}  </modules>\n${extra}`,
  );
const module = (id: string, parent: string, extra = '') =>
  project(`  <parent>\n    <groupId>g</groupId>\n    <artifactId>${parent}</artifactId>\n    <version>1.0</version>\n  </parent>\n  <artifactId>${id}</artifactId>\n${extra}`);
const plugins = (...p: string[]) => `  <build>\n    <plugins>\n${p.join('')}    </plugins>\n  </build>\n`;
const jarMain = (main: string, manifest = '') =>
  `      <plugin>\n        <artifactId>maven-jar-plugin</artifactId>\n        <configuration><archive><manifest><mainClass>${main}</mainClass>${manifest}</manifest></archive></configuration>\n      </plugin>\n`;
const boot =
  '      <plugin>\n        <groupId>org.springframework.boot</groupId>\n        <artifactId>spring-boot-maven-plugin</artifactId>\n        <executions><execution><goals><goal>repackage</goal></goals></execution></executions>\n      </plugin>\n';
const dependsOn = (...ids: string[]) =>
  `  <dependencies>\n${ids.map((id) => `    <dependency><groupId>g</groupId><artifactId>${id}</artifactId><version>1.0</version></dependency>\n`).join('')}  </dependencies>\n`;

/** The layout of the report: a `pom` root, an app module that depends on a library module. */
const SHOP: Tree = {
  'pom.xml': aggregator('shop', ['api', 'core'], '  <properties>\n    <maven.compiler.release>17</maven.compiler.release>\n  </properties>\n'),
  'api/pom.xml': module('api', 'shop', dependsOn('core') + plugins(boot)),
  'api/src/main/java/Main.java': '',
  'core/pom.xml': module('core', 'shop'),
  'core/src/main/java/Lib.java': '',
};

async function dryRun(tree: Tree): Promise<{ spec: Spec; text: string }> {
  const r = await matrix(['init', '--dry-run'], tempRepo(tree));
  expect(r.status, r.stderr).toBe(0);
  return { spec: parse(r.stdout) as Spec, text: r.stdout };
}

describe('Maven: one module', () => {
  it('a pom.xml without <modules> is proposed as before: the java template in its own directory', async () => {
    const tree = { 'svc/pom.xml': project('  <groupId>g</groupId>\n  <artifactId>svc</artifactId>\n  <version>1.0</version>\n'), 'svc/src/main/java/Main.java': '' };
    const found = scanRepository(tempRepo(tree));
    expect(found).toEqual([{ dir: 'svc', kind: 'java', nameHint: 'svc', reason: 'pom.xml (Java, Maven)', note: "check the java template's parameters (`matrix templates java`)" }]);
    expect((await dryRun(tree)).spec.services).toEqual({ svc: { context: 'svc', template: 'java' } });
  });

  it('one pom with packaging pom (a parent or BOM, no <modules>) or war makes no jar to run: not proposed', () => {
    const found = scanRepository(
      tempRepo({ 'bom/pom.xml': project('  <artifactId>bom</artifactId>\n  <packaging>pom</packaging>\n'), 'web/pom.xml': project('  <artifactId>web</artifactId>\n  <packaging>war</packaging>\n') }),
    );
    expect(found.map((f) => [f.dir, f.kind, f.note])).toEqual([
      ['bom', 'unsupported', 'packaging pom, without <modules>: `mvn package` writes no jar'],
      ['web', 'unsupported', 'packaging war: the java template runs a jar'],
    ]);
  });
});

describe('Maven reactors', () => {
  it('an app module and a library: the app at the reactor root with jar MODULE/target, the library listed as not proposed', async () => {
    const dir = tempRepo(SHOP);
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(path.join(dir, 'matrix.yaml'), 'utf8');
    expect((parse(text) as Spec).services).toEqual({ api: { context: '.', template: 'java', with: { jar: 'api/target' } } });
    // How init decided the jar runs, and why the library is not proposed, are comments of the spec.
    expect(text).toContain('# api: pom.xml (Java, Maven), a module of the Maven reactor at the root (built there)\n  # runnable jar: spring-boot-maven-plugin (repackage');
    expect(text).toContain('# not proposed: core: pom.xml (Java, Maven), a module of the Maven reactor at the root: a library: no spring-boot-maven-plugin repackage');
    // gen: the Dockerfile runs Maven at the root and takes the api module's jar; java_version from the root's properties.
    const gen = await matrix(['gen'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain("jar='api/target'; \\\n");
    expect(dockerfile).toContain('ARG MAVEN_IMAGE="maven:3-eclipse-temurin-17"\n');
  });

  it("a manifest main class whose dependencies are not in the jar: not proposed, saying why (the report's layout)", async () => {
    const { text, spec } = await dryRun({ ...SHOP, 'api/pom.xml': module('api', 'shop', dependsOn('core') + plugins(jarMain('g.Main'))), 'site/index.html': '<p>x</p>' });
    expect(Object.keys(spec.services)).toEqual(['site']);
    expect(text).toContain(
      '# not proposed: api: pom.xml (Java, Maven), a module of the Maven reactor at the root: its manifest names main class g.Main, but its runtime dependencies (core) are neither in the jar nor copied to target/lib',
    );
  });

  it('two apps share the reactor root (SERVICE.Dockerfile each); a clashing name gets -2; a module overriding the Java version sets java_version', async () => {
    const dir = tempRepo({
      ...SHOP,
      'pom.xml': aggregator('shop', ['api', 'core', 'jobs/api'], '  <properties>\n    <maven.compiler.release>17</maven.compiler.release>\n  </properties>\n'),
      'jobs/api/pom.xml': module('jobs-api', 'shop', `  <properties>\n    <maven.compiler.release>21</maven.compiler.release>\n  </properties>\n${plugins(jarMain('g.Jobs'))}`),
      'jobs/api/src/main/java/Jobs.java': '',
    });
    const r = await matrix(['init'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect((parse(readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')) as Spec).services).toEqual({
      api: { context: '.', template: 'java', with: { jar: 'api/target' } },
      'api-2': { context: '.', template: 'java', with: { jar: 'jobs/api/target', java_version: '21' } },
    });
    expect((await matrix(['gen'], dir)).status).toBe(0);
    expect(readFileSync(path.join(dir, 'api.Dockerfile'), 'utf8')).toContain('maven:3-eclipse-temurin-17');
    expect(readFileSync(path.join(dir, 'api-2.Dockerfile'), 'utf8')).toContain('maven:3-eclipse-temurin-21');
    expect(readFileSync(path.join(dir, 'api-2.Dockerfile'), 'utf8')).toContain("jar='jobs/api/target'");
  });

  it('a nested reactor: modules of an aggregator module are built at the top root; an attached shade jar is named', async () => {
    const shade =
      '      <plugin>\n        <artifactId>maven-shade-plugin</artifactId>\n        <configuration>\n          <shadedArtifactAttached>true</shadedArtifactAttached>\n          <transformers><transformer implementation="org.apache.maven.plugins.shade.resource.ManifestResourceTransformer"><mainClass>g.Worker</mainClass></transformer></transformers>\n        </configuration>\n      </plugin>\n';
    const tree = {
      'backend/pom.xml': aggregator('backend', ['services', 'libs/core']),
      'backend/libs/core/pom.xml': module('core', 'backend'),
      'backend/services/pom.xml': project(
        `  <parent>\n    <groupId>g</groupId>\n    <artifactId>backend</artifactId>\n    <version>1.0</version>\n  </parent>\n  <artifactId>services</artifactId>\n  <packaging>pom</packaging>\n  <modules>\n    <module>api</module>\n    <module>worker</module>\n  </modules>\n`,
      ),
      'backend/services/api/pom.xml': module('api', 'services', dependsOn('core') + plugins(boot)),
      'backend/services/worker/pom.xml': module('worker', 'services', dependsOn('core') + plugins(shade)),
    };
    const found = scanRepository(tempRepo(tree));
    expect(found.map((f) => [f.dir, f.kind, f.context, f.with])).toEqual([
      ['backend/libs/core', 'unsupported', undefined, undefined],
      ['backend/services/api', 'java', 'backend', { jar: 'services/api/target' }],
      ['backend/services/worker', 'java', 'backend', { jar: 'services/worker/target/worker-1.0-shaded.jar' }],
    ]);
    expect(found[2]!.details).toEqual(['runnable jar: maven-shade-plugin, main class g.Worker (the jar holds its dependencies); the shaded jar']);
    const { spec } = await dryRun(tree);
    expect(spec.services.api).toEqual({ context: 'backend', template: 'java', with: { jar: 'services/api/target' } });
  });

  it('an aggregator whose module directory is missing: the reactor is not proposed, saying why', async () => {
    const tree = { ...SHOP, 'pom.xml': aggregator('shop', ['api', 'core', 'gone']) };
    const found = scanRepository(tempRepo(tree));
    expect(found).toEqual([
      expect.objectContaining({
        dir: '.',
        kind: 'unsupported',
        reason: 'pom.xml (Java, Maven), the root of a Maven reactor',
        note: expect.stringContaining('module gone of the pom.xml at the root has no pom.xml, and Maven stops the whole build on it'),
      }),
    ]);
    const r = await matrix(['init', '--dry-run'], tempRepo(tree));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('not proposed: .: pom.xml (Java, Maven), the root of a Maven reactor: module gone of the pom.xml at the root has no pom.xml');
  });

  it('a module outside the reactor root, an aggregator with jar packaging, and a war module: not proposed', () => {
    const outside = scanRepository(tempRepo({ 'app/pom.xml': aggregator('app', ['../lib', 'web']), 'app/web/pom.xml': module('web', 'app'), 'lib/pom.xml': module('lib', 'app') }));
    expect(outside.find((f) => f.dir === 'app')).toMatchObject({
      kind: 'unsupported',
      note: expect.stringContaining('module ../lib of the pom.xml at app is outside app, which the build context cannot hold'),
    });
    const jarRoot = scanRepository(tempRepo({ ...SHOP, 'pom.xml': aggregator('shop', ['api', 'core']).replace('<packaging>pom</packaging>', '<packaging>jar</packaging>') }));
    expect(jarRoot).toEqual([
      expect.objectContaining({ dir: '.', kind: 'unsupported', note: expect.stringContaining('lists <modules> but its packaging is jar, and Maven requires `pom` for an aggregator') }),
    ]);
    const war = scanRepository(tempRepo({ ...SHOP, 'api/pom.xml': module('api', 'shop', '  <packaging>war</packaging>\n') }));
    expect(war.find((f) => f.dir === 'api')).toMatchObject({ kind: 'unsupported', note: 'packaging war: the java template runs a jar' });
  });
});

describe('reading a pom', () => {
  it('skips comments, profiles and pluginManagement; reads the parent, dependencies and their scopes', () => {
    const pom = readPom(
      project(
        '  <!-- <modules><module>old</module></modules> -->\n  <parent><artifactId>p</artifactId><version>2.0</version><relativePath/></parent>\n  <artifactId>a</artifactId>\n  <modules><module> b </module></modules>\n  <dependencies>\n    <dependency><artifactId>x</artifactId><scope>test</scope></dependency>\n    <dependency><artifactId>y</artifactId><exclusions><exclusion><artifactId>z</artifactId></exclusion></exclusions></dependency>\n  </dependencies>\n  <build>\n    <finalName>app</finalName>\n    <pluginManagement><plugins><plugin><artifactId>maven-shade-plugin</artifactId></plugin></plugins></pluginManagement>\n    <plugins><plugin><artifactId>maven-jar-plugin</artifactId><configuration><finalName>no</finalName></configuration></plugin></plugins>\n  </build>\n  <profiles><profile><modules><module>extra</module></modules></profile></profiles>\n',
      ),
    );
    expect(pom).toMatchObject({ packaging: 'jar', modules: ['b'], artifactId: 'a', finalName: 'app', parent: { artifactId: 'p', version: '2.0', relativePath: '' } });
    expect(pom.plugins.map((p) => p.artifactId)).toEqual(['maven-jar-plugin']);
    expect(pom.dependencies).toEqual([
      { artifactId: 'x', scope: 'test' },
      { artifactId: 'y', scope: 'compile' },
    ]);
  });

  it('runnable: a main class with dependencies copied to target/lib, an assembly jar-with-dependencies; not: a shade plugin without a main class', () => {
    const copy =
      '<plugin><artifactId>maven-dependency-plugin</artifactId><executions><execution><goals><goal>copy-dependencies</goal></goals><configuration><outputDirectory>${project.build.directory}/lib</outputDirectory></configuration></execution></executions></plugin>';
    const withLib = readPom(project(`<artifactId>a</artifactId>${dependsOn('y')}${plugins(jarMain('g.M', '<addClasspath>true</addClasspath><classpathPrefix>lib/</classpathPrefix>'), copy)}`));
    expect(runnableJar([withLib])).toEqual({ how: 'maven-jar-plugin, manifest mainClass g.M and Class-Path lib/, maven-dependency-plugin copy-dependencies to target/lib' });
    // Dependencies inherited from a parent count too.
    const child = readPom(project(`<artifactId>a</artifactId>${plugins(jarMain('g.M'))}`));
    expect(runnableJar([child, readPom(project(dependsOn('y')))])).toMatchObject({ why: expect.stringContaining('runtime dependencies (y)') });
    const assembly = readPom(
      project(
        `<artifactId>a</artifactId><version>3</version>${plugins('<plugin><artifactId>maven-assembly-plugin</artifactId><configuration><archive><manifest><mainClass>g.M</mainClass></manifest></archive><descriptorRefs><descriptorRef>jar-with-dependencies</descriptorRef></descriptorRefs></configuration></plugin>')}`,
      ),
    );
    expect(runnableJar([assembly])).toEqual({ how: 'maven-assembly-plugin jar-with-dependencies, main class g.M; the jar-with-dependencies jar', file: 'a-3-jar-with-dependencies.jar' });
    expect(runnableJar([readPom(project(plugins('<plugin><artifactId>maven-shade-plugin</artifactId></plugin>')))])).toMatchObject({ why: expect.stringMatching(/^a library/) });
    // A Spring Boot plugin without repackage runs nothing at `package`, unless the parent is spring-boot-starter-parent (which binds it).
    const plain = '<plugin><artifactId>spring-boot-maven-plugin</artifactId></plugin>';
    expect(runnableJar([readPom(project(plugins(plain)))])).toMatchObject({ why: expect.stringMatching(/^a library/) });
    expect(runnableJar([readPom(project(`<parent><artifactId>spring-boot-starter-parent</artifactId></parent>${plugins(plain)}`))])).toMatchObject({
      how: expect.stringMatching(/^spring-boot-maven-plugin/),
    });
  });

  it("java_version's patterns are the java template's detect patterns", () => {
    const template = readFileSync(path.join(REPO_ROOT, 'templates', 'java.Dockerfile.hbs'), 'utf8');
    for (const tag of ['maven\\\\.compiler\\\\.release', 'release', 'java\\\\.version', 'maven\\\\.compiler\\\\.target']) expect(template).toContain(`pattern: "<${tag}>`);
    expect(readPom(project('<properties><java.version>1.8</java.version></properties>')).javaVersion).toBe('8');
  });
});
