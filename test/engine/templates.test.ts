// Issue 19 "Done when": each built-in template that copies files builds a
// fixture service OFFLINE (test/fixtures/services: a Go vendor directory, an npm
// `file:` package, a local wheel, static files) for linux/amd64 and
// linux/arm64 with the fixture images, in one bake; each image runs on both
// platforms and prints its line (or serves its page); no generated file is in
// any image; `plan`'s claim (cross, nothing emulated) agrees with the build log
// (BuildKit names a step run as a foreign platform `[target linux/arm64 ...]`,
// one cross-built `[target linux/amd64->arm64 ...]`).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerAsync, fixtures, fixtureSets, matrix, matrixAsync, requireEngine, ROOT, runId, type RunResult } from './engine.js';

const hasEngine = requireEngine();
const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
/** Services whose every RUN is on the build platform (plan: cross). */
const MORE_CROSS = ['javaapp', 'phpapp', 'nodebuild'];
const CROSS = ['goapp', 'nodeapp', 'pyapp', 'site', ...MORE_CROSS];
/** Services with a stage that runs as the target platform (plan: emulated for arm64). */
const EMULATING = ['nodenative', 'pynative'];
/** BuildKit's platform label of each RUN step of a target in the bake log: `linux/arm64` ran as arm64 (QEMU here). */
const runPlatforms = (log: string, t: string) => [...log.matchAll(new RegExp(`^#\\d+ \\[${t} ([^\\s\\]]+) ([^\\]]*)\\] RUN`, 'gm'))].map((m) => `${m[1]} ${m[2]!.split(' ')[0]}`);
/** The order of test/fixtures/services/matrix.yaml. */
const FIXTURE_ORDER = ['goapp', 'nodeapp', 'pyapp', 'site', 'javaapp', 'phpapp', 'nodebuild', 'nodenative', 'pynative'];

interface Planned {
  name: string;
  platforms: { platform: string; mode: string }[];
}

describe.skipIf(!hasEngine)('built-in templates build the fixture services offline', () => {
  let dir: string;
  let planned: Planned[];
  let bake: RunResult;
  const id = runId();
  /** Where a failed step count keeps the whole bake log (its message quotes only the lines it matched). */
  const bakeLog = path.join(os.tmpdir(), `matrix-e2e-templates-bake-${id}.log`);
  const tagOf = (t: string) => `localhost:5000/e2e-templates/${t}:${id}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-templates-'));
    cpSync(path.join(ROOT, 'test', 'fixtures', 'services'), dir, { recursive: true });
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    const plan = matrix(dir, ['plan', '--json', '--build-platform', 'linux/amd64']);
    expect(plan.status, plan.stderr).toBe(0);
    planned = JSON.parse(plan.stdout).targets;
    const tagSets = planned.flatMap((t) => ['--set', `${t.name}.tags=${tagOf(t.name)}`]);
    bake = await matrixAsync(dir, ['bake', '--push', '--json', ...fixtureSets(), ...tagSets]);
  });

  it('builds every service for both platforms in one bake', () => {
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    const rows = JSON.parse(bake.stdout).targets as { target: string; platform: string; status: string }[];
    expect(rows.map((r) => `${r.target} ${r.platform} ${r.status}`).sort()).toEqual(planned.flatMap((t) => PLATFORMS.map((p) => `${t.name} ${p} done`)).sort());
    expect(planned.map((t) => t.name)).toEqual(FIXTURE_ORDER);
  });

  it("plan's claim agrees with the build log: arm64 is cross-built, no step ran as linux/arm64", () => {
    for (const t of planned.filter((p) => CROSS.includes(p.name)))
      expect(t.platforms, t.name).toEqual([
        { platform: 'linux/amd64', mode: 'native' },
        { platform: 'linux/arm64', mode: 'cross' },
      ]);
    expect(bake.stderr).not.toMatch(new RegExp(`^#\\d+ \\[(${CROSS.join('|')}) linux\\/arm64 [^\\]]*\\] RUN`, 'm'));
    // Every RUN of every target ran on the build platform: as `linux/amd64->arm64` (cross-built for arm64) or,
    // for a stage that does not depend on the target (npm, the static files), once as `linux/amd64` for both.
    for (const t of CROSS) {
      const runs = [...bake.stderr.matchAll(new RegExp(`^#\\d+ \\[${t} ([^\\s\\]]+) [^\\]]*\\] RUN`, 'gm'))].map((m) => m[1]);
      expect(runs.length, t).toBeGreaterThan(0);
      expect(new Set(runs), t).toEqual(new Set(runs.filter((p) => p === 'linux/amd64' || p === 'linux/amd64->arm64')));
    }
    expect(bake.stderr).toMatch(/\[goapp linux\/amd64->arm64 builder \d+\/\d+\] RUN .*go build/);
  });

  it.each(PLATFORMS)('on %s each service answers, as a non-root user', async (platform) => {
    const arch = platform.split('/')[1];
    const run = (t: string) => dockerAsync(['run', '--rm', '--platform', platform, tagOf(t)]);
    const [go, node, py] = await Promise.all([run('goapp'), run('nodeapp'), run('pyapp')]);
    expect(go.stdout + go.stderr).toBe(`hello from go linux/${arch} uid=65532 banner-ok\n`);
    expect(node.stdout + node.stderr).toBe(`hello from node linux/${arch} uid=65532\n`);
    expect(py.stdout + py.stderr).toBe(`hello from python linux/${arch} uid=65532\n`);
    // The static site: busybox httpd serves the page (fetched with the image's own busybox wget).
    const site = docker([
      'run',
      '--rm',
      '--platform',
      platform,
      '--entrypoint',
      'sh',
      tagOf('site'),
      '-c',
      'busybox httpd -h /www -p 8080 && sleep 0.5 && busybox wget -q -O - http://127.0.0.1:8080/index.html',
    ]);
    expect(site.stdout, site.stderr).toBe('<p>site-ok</p>\n');
  });

  it('no generated file is in any image (and the files the templates mean to copy are)', () => {
    for (const t of ['goapp', 'nodeapp', 'pyapp', 'site']) {
      const files = imageFiles(tagOf(t));
      expect(
        files.filter((f) => /(^|\/)([^/]*\.)?Dockerfile$|docker-bake\.hcl$/.test(f)),
        t,
      ).toEqual([]);
      const wanted = { goapp: 'templates/banner.txt', nodeapp: 'app/node_modules/greet', pyapp: 'deps/greet/__init__.py', site: 'www/index.html' }[t]!;
      expect(
        files.some((f) => f === wanted || f.startsWith(wanted)),
        `${t}: ${wanted}`,
      ).toBe(true);
    }
  });

  // java and php (issue 19: "Java ... build once on `$BUILDPLATFORM` and copy into each target's JRE. PHP where it
  // stays simple."): Maven runs once on the build platform for both platforms (its stage uses no TARGET* arg, so
  // BuildKit builds one vertex for both), the PHP files are staged once, and no final stage runs anything.
  it('java and php: every RUN ran once on the build platform, Maven among them', () => {
    // The images these two need (fixtures.env from scripts/fixtures.sh), named here so a missing one says so.
    expect([fixtures().jdk, fixtures().platform].every(Boolean)).toBe(true);
    for (const t of ['javaapp', 'phpapp']) {
      const runs = [...bake.stderr.matchAll(new RegExp(`^#\\d+ \\[${t} ([^\\s\\]]+) [^\\]]*\\] RUN`, 'gm'))].map((m) => m[1]);
      expect(runs.length, t).toBeGreaterThan(0);
      // Named for the platform that asked first: `linux/amd64`, or `linux/amd64->arm64` (built on amd64 for arm64).
      expect(new Set(runs), t).toEqual(new Set(runs.filter((p) => p === 'linux/amd64' || p === 'linux/amd64->arm64')));
    }
    // Once: each Maven step ran (`#N DONE`) as at most one BuildKit vertex for both platforms in each bake; any other
    // vertex of that step came from the cache (`#N CACHED`), and with a warm cache none ran.
    // A retried round (src/bake/rounds.ts: a transient registry error, such as the local registry's 500 "invalid
    // checksum digest format" for a HEAD of a tag being written, seen in a cold CI run) is another bake in the same
    // log, its vertices numbered from #1 again, after a line `matrix: retry ...`: each vertex is read in its own
    // round. Read in the whole log, that run's retry took its Maven vertex `#96 CACHED` for the first round's `#96
    // DONE 14.7s` (another step), and counted Maven twice. The retry may also run a step again where BuildKit kept
    // nothing of a build it cancelled: once more for both platforms, never once per platform.
    const retries = bake.stderr.split('\n').filter((l) => l.startsWith('matrix: retry '));
    const rounds = bake.stderr.split(/^matrix: retry .*$/m);
    expect(rounds.length, 'one bake per round').toBe(retries.length + 1);
    for (const step of ['mvn --batch-mode --quiet', 'set -euf; mvn --batch-mode']) {
      let seen = 0;
      rounds.forEach((log, r) => {
        const lines = [...log.matchAll(/^#(\d+) \[javaapp linux\/amd64(?:->arm64)? builder \d+\/\d+\] RUN (.*)$/gm)].filter((m) => m[2]!.includes(step));
        const vertices = [...new Set(lines.map((m) => m[1]!))];
        seen += vertices.length;
        // Each vertex's end line (`#N DONE 12.3s` or `#N CACHED`). A vertex BuildKit merged into another (the same
        // cache key reached through another LLB digest) can end `DONE` too, not `CACHED`, a fraction of a second after
        // it was reported, when the one that ran finishes: one CI run here had `#58 DONE 21.3s`, `#40 DONE 0.2s` and
        // `#140 DONE 0.3s` for this step, Maven run once. A second run of the step would do the same work as the first
        // and take about as long, so a vertex counts as a run when it took at least a third of the longest one's time,
        // and a second at least (a JVM and Maven start in no less).
        const ends = vertices.map((n) => log.match(new RegExp(`^#${n} (DONE [^\\n]*|CACHED|ERROR[^\\n]*|CANCELED)$`, 'm'))?.[0] ?? `#${n} (no end line)`);
        const seconds = ends.map((e) => (/ DONE ([\d.]+)s$/.exec(e) ? Number(/ DONE ([\d.]+)s$/.exec(e)![1]) : undefined));
        const longest = Math.max(0, ...seconds.filter((x) => x !== undefined));
        const ran = vertices.filter((_n, i) => seconds[i] !== undefined && seconds[i]! >= Math.max(1, longest / 3));
        const message = `${step}, round ${r + 1} of ${rounds.length}: ${lines.map((m) => m[0].slice(0, 90)).join(' | ')}; ends: ${ends.join(' | ')}${retries.length ? `; retries: ${retries.join(' | ')}` : ''}`;
        if (ran.length > 1) writeFileSync(bakeLog, bake.stderr);
        expect(ran.length, `${message} (the whole bake log: ${bakeLog}, kept after the run with MATRIX_TEST_KEEP_TMP=1)`).toBeLessThanOrEqual(1);
        // The last round is the bake that succeeded: every vertex of the step ended there. An earlier one may have cancelled it.
        if (r === rounds.length - 1) for (const n of vertices) expect(log, `${message}: #${n}`).toMatch(new RegExp(`^#${n} (DONE|CACHED)`, 'm'));
      });
      expect(seen, step).toBeGreaterThan(0);
    }
  });

  it.each(PLATFORMS)('on %s the java and php images start their own command and answer HTTP as uid 65532', async (platform) => {
    const arch = platform.split('/')[1];
    const answer = async (t: string) => {
      const started = docker(['run', '-d', '--platform', platform, tagOf(t)]);
      expect(started.status, started.stderr).toBe(0);
      const cid = started.stdout.trim();
      try {
        // The JVM starts in seconds under QEMU: ask until it answers (busybox wget of the platform image).
        const poll = 'for i in $(seq 1 90); do busybox wget -q -O - http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 1; done; exit 1';
        const got = await dockerAsync(['exec', cid, 'sh', '-c', poll]);
        return got.stdout + (got.status === 0 ? '' : `exit ${got.status}: ${docker(['logs', cid]).stderr}`);
      } finally {
        docker(['rm', '-f', cid]);
      }
    };
    const [java, php] = await Promise.all([answer('javaapp'), answer('phpapp')]);
    expect(java).toBe(`hello from java linux/${arch} uid=65532\n`);
    expect(php).toBe(`hello from php linux/${arch} uid=65532\n`);
  });

  it('java and php: no generated file in either image; the jar and the PHP sources are there', () => {
    for (const [t, wanted] of [
      ['javaapp', ['app/app.jar']],
      ['phpapp', ['app/public/index.php', 'app/composer.json']],
    ] as const) {
      const files = imageFiles(tagOf(t));
      expect(
        files.filter((f) => /(^|\/)([^/]*\.)?Dockerfile$|docker-bake\.hcl$/.test(f)),
        t,
      ).toEqual([]);
      for (const w of wanted) expect(files, `${t}: ${w}`).toContain(w);
      // Only the jar reaches the java image: no sources, no pom.
      if (t === 'javaapp')
        expect(
          files.filter((f) => f.startsWith('app/') && f !== 'app/'),
          t,
        ).toEqual(['app/app.jar']);
    }
  });

  // Issue 19, Node: packages with install scripts are installed as the target platform, the rest stays native.
  it("plan says emulated where a stage runs as the target platform, and the build log agrees (Node's per-target install)", () => {
    for (const name of EMULATING) {
      const t = planned.find((p) => p.name === name)!;
      expect(t.platforms, name).toEqual([
        { platform: 'linux/amd64', mode: 'native' },
        // plan says why: the per-target install stage's RUN (src/plan/stages.ts emulationReason).
        { platform: 'linux/arm64', mode: 'emulated', why: expect.stringMatching(new RegExp(`^stage \`target-deps\` runs \`RUN\` as the target platform, ${name}/Dockerfile:\\d+$`)) },
      ]);
    }
    for (const name of EMULATING) {
      const runs = new Set(runPlatforms(bake.stderr, name));
      // The install ran once per target platform, as that platform; the builder (the pure-JS part, the app) only on the build platform.
      expect([...runs].filter((r) => r.endsWith('target-deps')).sort(), name).toEqual(['linux/amd64 target-deps', 'linux/arm64 target-deps']);
      // The builder runs on the build platform only: once for both (`linux/amd64`) or, where it fetches
      // per-target files (pip's wheels for the target), once per target on it (`linux/amd64->arm64`).
      const builder = [...runs].filter((r) => r.endsWith('builder'));
      expect(builder.length, name).toBeGreaterThan(0);
      expect(
        builder.filter((r) => !['linux/amd64 builder', 'linux/amd64->arm64 builder'].includes(r)),
        name,
      ).toEqual([]);
    }
    // The build step of nodebuild ran natively, with its dev dependency.
    expect(bake.stderr).toMatch(/^#\d+ \[nodebuild linux\/amd64 builder \d+\/\d+\] RUN npm run -- 'build'$/m);
  });

  it.each(PLATFORMS)('on %s the Node services answer: built output as the entry point, the install script ran as the target', async (platform) => {
    const arch = platform.split('/')[1];
    const run = (t: string) => dockerAsync(['run', '--rm', '--platform', platform, tagOf(t)]);
    const [built, native] = await Promise.all([run('nodebuild'), run('nodenative')]);
    expect(built.stdout + built.stderr).toBe(`hello from nodebuild linux/${arch} uid=65532 built-by=stamp:dist\n`);
    const installedAs = arch === 'amd64' ? 'x64/x86_64' : 'arm64/aarch64';
    expect(native.stdout + native.stderr).toBe(`hello from nodenative linux/${arch} uid=65532 installed-as=${installedAs}\n`);
  });

  // Issue 19, Python: a source distribution with C code is compiled as the target platform; the entry point from pyproject.
  it.each(PLATFORMS)('on %s the Python service with a C source distribution answers, compiled for its platform', async (platform) => {
    const arch = platform.split('/')[1];
    const r = await dockerAsync(['run', '--rm', '--platform', platform, tagOf('pynative')]);
    expect(r.stdout + r.stderr).toBe(`hello from pynative linux/${arch} uid=65532 compiled-for=${arch === 'amd64' ? 'x86_64' : 'aarch64'}\n`);
  });

  it('the dev dependency used by the build is pruned from the image; the built files are in it', () => {
    const files = imageFiles(tagOf('nodebuild'));
    expect(files).toContain('app/dist/server.js');
    // A directory: `docker export | tar -t` lists it with a trailing slash.
    expect(files.some((f) => f === 'app/node_modules/greet' || f.startsWith('app/node_modules/greet/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('app/node_modules/stamp'))).toEqual([]);
  });
});

// `matrix init` on workspaces (what it proposes must build): a Cargo workspace
// (a binary crate with a path dependency on a library crate, a Cargo.lock, no
// crates.io: doc.rust-lang.org/cargo/reference/workspaces.html), a Go
// workspace (go.work `use`s two modules, standard library only:
// go.dev/ref/mod#workspaces), a Go module with a local replace inside it, and an
// npm workspace (a member and its sibling), and a Maven reactor (an app module
// that compiles against a library module). init proposes each member at its workspace's
// root, gen writes its Dockerfile, and one bake builds all for linux/amd64 and
// linux/arm64 offline with the fixture toolchain; each image runs on both.
const WORKSPACES: Record<string, string> = {
  'rs/Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
  'rs/Cargo.lock':
    '# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = "greet"\nversion = "0.1.0"\n\n[[package]]\nname = "wsrust"\nversion = "0.1.0"\ndependencies = [\n "greet",\n]\n',
  'rs/crates/wsrust/Cargo.toml': '[package]\nname = "wsrust"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngreet = { path = "../greet" }\n',
  'rs/crates/wsrust/src/main.rs': 'fn main() {\n    println!("{} {}", greet::hello("rust workspace"), std::env::consts::ARCH);\n}\n',
  'rs/crates/greet/Cargo.toml': '[package]\nname = "greet"\nversion = "0.1.0"\nedition = "2021"\n',
  'rs/crates/greet/src/lib.rs': 'pub fn hello(who: &str) -> String {\n    format!("hello from {who}")\n}\n',
  'go/go.work': 'go 1.22\n\nuse (\n\t./svc/wsgo\n\t./lib/shared\n)\n',
  'go/svc/wsgo/go.mod': 'module example.com/wsgo\n\ngo 1.22\n\nrequire example.com/shared v0.0.0\n\nreplace example.com/shared => ../../lib/shared\n',
  'go/svc/wsgo/main.go': 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n\n\t"example.com/shared"\n)\n\nfunc main() { fmt.Println(shared.Hello("go workspace"), runtime.GOARCH) }\n',
  'go/lib/shared/go.mod': 'module example.com/shared\n\ngo 1.22\n',
  'go/lib/shared/shared.go': 'package shared\n\nfunc Hello(who string) string { return "hello from " + who }\n',
  // No go.work: a `replace` with a directory inside the module (go.dev/ref/mod#go-mod-file-replace), which
  // the template's `go mod download` before `COPY . .` could not read; that step is skipped for it.
  'gorep/go.mod': 'module example.com/gorep\n\ngo 1.22\n\nrequire example.com/util v0.0.0\n\nreplace example.com/util => ./third_party/util\n',
  'gorep/main.go': 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n\n\t"example.com/util"\n)\n\nfunc main() { fmt.Println(util.Hello("go replace"), runtime.GOARCH) }\n',
  'gorep/third_party/util/go.mod': 'module example.com/util\n\ngo 1.22\n',
  'gorep/third_party/util/util.go': 'package util\n\nfunc Hello(who string) string { return "hello from " + who }\n',
  // An npm workspace (docs.npmjs.com/cli/v11/using-npm/workspaces) whose only dependency is the sibling
  // package: `npm ci` at the root links it, no registry. The member's build script writes dist/ in
  // its own directory, and the server reads it relative to where it starts (the member's directory).
  'js/package.json': JSON.stringify({ name: 'js', private: true, workspaces: ['packages/*'] }),
  'js/package-lock.json': `${JSON.stringify(
    {
      name: 'js',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'js', workspaces: ['packages/*'] },
        'node_modules/shared': { resolved: 'packages/shared', link: true },
        'node_modules/wsnode': { resolved: 'packages/wsnode', link: true },
        'packages/shared': { version: '1.0.0' },
        'packages/wsnode': { version: '1.0.0', dependencies: { shared: '1.0.0' } },
      },
    },
    null,
    2,
  )}\n`,
  'js/packages/wsnode/package.json': JSON.stringify({ name: 'wsnode', version: '1.0.0', scripts: { build: 'node build.js', start: 'node server.js' }, dependencies: { shared: '1.0.0' } }),
  'js/packages/wsnode/build.js': "require('fs').mkdirSync('dist', { recursive: true });\nrequire('fs').writeFileSync('dist/stamp.txt', 'built-in-member\\n');\n",
  'js/packages/wsnode/server.js':
    "const { hello } = require('shared');\nconst stamp = require('fs').readFileSync('dist/stamp.txt', 'utf8').trim();\nconsole.log(`${hello('node workspace')} ${process.arch} ${stamp}`);\n",
  'js/packages/shared/package.json': JSON.stringify({ name: 'shared', version: '1.0.0', main: 'index.js' }),
  'js/packages/shared/index.js': 'exports.hello = (who) => `hello from ${who}`;\n',
  // A Maven reactor (maven.apache.org/guides/mini/guide-multiple-modules.html): a `pom` aggregator whose
  // properties and pluginManagement (Debian's plugin versions, as the javaapp fixture pins them) the
  // two modules inherit; mvnapp compiles against its sibling mvnlib (`provided`: its one use is a
  // constant, which javac copies into mvnapp's class), so it builds only in the reactor, at mvn/,
  // offline (nothing but the fixture jdk image's local repository); mvnlib is a library.
  'mvn/pom.xml':
    '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>fixture</groupId>\n  <artifactId>reactor</artifactId>\n  <version>1.0</version>\n  <packaging>pom</packaging>\n  <modules>\n    <module>mvnapp</module>\n    <module>mvnlib</module>\n  </modules>\n  <properties>\n    <maven.compiler.release>17</maven.compiler.release>\n    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>\n  </properties>\n  <build>\n    <pluginManagement>\n      <plugins>\n        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>\n        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>\n        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>2.22.3</version></plugin>\n        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.3.0</version></plugin>\n      </plugins>\n    </pluginManagement>\n  </build>\n</project>\n',
  'mvn/mvnapp/pom.xml':
    '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <parent>\n    <groupId>fixture</groupId>\n    <artifactId>reactor</artifactId>\n    <version>1.0</version>\n  </parent>\n  <artifactId>mvnapp</artifactId>\n  <dependencies>\n    <dependency>\n      <groupId>fixture</groupId>\n      <artifactId>mvnlib</artifactId>\n      <version>1.0</version>\n      <scope>provided</scope>\n    </dependency>\n  </dependencies>\n  <build>\n    <plugins>\n      <plugin>\n        <groupId>org.apache.maven.plugins</groupId>\n        <artifactId>maven-jar-plugin</artifactId>\n        <configuration>\n          <archive>\n            <manifest>\n              <mainClass>app.Main</mainClass>\n            </manifest>\n          </archive>\n        </configuration>\n      </plugin>\n    </plugins>\n  </build>\n</project>\n',
  'mvn/mvnlib/pom.xml':
    '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <parent>\n    <groupId>fixture</groupId>\n    <artifactId>reactor</artifactId>\n    <version>1.0</version>\n  </parent>\n  <artifactId>mvnlib</artifactId>\n</project>\n',
  'mvn/mvnlib/src/main/java/lib/Greeting.java': 'package lib;\n\npublic final class Greeting {\n  public static final String TEXT = "hello from maven reactor";\n}\n',
  'mvn/mvnapp/src/main/java/app/Main.java':
    'package app;\n\npublic final class Main {\n  public static void main(String[] args) {\n    String arch = System.getProperty("os.arch").replace("aarch64", "arm64").replace("x86_64", "amd64");\n    System.out.println(lib.Greeting.TEXT + " " + arch);\n  }\n}\n',
};

describe.skipIf(!hasEngine)('matrix init on workspaces: what it proposes builds', () => {
  let dir: string;
  let spec: { services: Record<string, { context: string; with?: Record<string, unknown> }> };
  let bake: RunResult;
  const id = runId();
  const tagOf = (t: string) => `localhost:5000/e2e-templates/ws-${t}:${id}`;
  const NAMES = ['wsrust', 'wsgo', 'gorep', 'wsnode', 'mvnapp'];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-workspaces-'));
    for (const [f, text] of Object.entries(WORKSPACES)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    spawnSync('git', ['init', '-q'], { cwd: dir });
    const init = matrix(dir, ['init']);
    expect(init.status, init.stderr).toBe(0);
    spec = parseYaml(readFileSync(path.join(dir, 'matrix.yaml'), 'utf8'));
    const gen = matrix(dir, ['gen']);
    expect(gen.status, gen.stderr).toBe(0);
    const tagSets = NAMES.flatMap((t) => ['--set', `${t}.tags=${tagOf(t)}`]);
    bake = await matrixAsync(dir, ['bake', '--push', '--json', ...fixtureSets(), ...tagSets]);
  });

  it('proposes each member at its workspace root, and the library crate not at all', () => {
    expect(Object.keys(spec.services).sort()).toEqual([...NAMES].sort());
    expect(spec.services.wsrust).toEqual({ context: 'rs', template: 'rust', with: { binary: 'wsrust' } });
    expect(spec.services.wsgo).toEqual({ context: 'go', template: 'go', with: { main: './svc/wsgo', binary: 'wsgo' } });
    expect(spec.services.gorep).toEqual({ context: 'gorep', template: 'go', with: { main: '.', binary: 'gorep' } });
    expect(spec.services.wsnode).toEqual({ context: 'js', template: 'node', with: { cmd: ['node', 'server.js'], workspace: 'packages/wsnode', build_script: 'build' } });
    // The reactor's app module, built at the reactor root with its jar from its own target/; the library not at all.
    expect(spec.services.mvnapp).toEqual({ context: 'mvn', template: 'java', with: { jar: 'mvnapp/target' } });
    expect(readFileSync(path.join(dir, 'matrix.yaml'), 'utf8')).toContain('# not proposed: mvn/mvnlib: pom.xml (Java, Maven), a module of the Maven reactor at mvn: a library');
  });

  it('builds every member for both platforms in one bake, and each image runs on both', async () => {
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    const rows = JSON.parse(bake.stdout).targets as { target: string; platform: string; status: string }[];
    expect(rows.map((r) => `${r.target} ${r.platform} ${r.status}`).sort()).toEqual(NAMES.flatMap((t) => PLATFORMS.map((p) => `${t} ${p} done`)).sort());
    for (const platform of PLATFORMS) {
      const arch = platform.split('/')[1]!;
      const [rust, go, rep, node, java] = await Promise.all(NAMES.map((t) => dockerAsync(['run', '--rm', '--platform', platform, tagOf(t)])));
      expect(rust!.stdout + rust!.stderr).toBe(`hello from rust workspace ${arch === 'amd64' ? 'x86_64' : 'aarch64'}\n`);
      expect(go!.stdout + go!.stderr).toBe(`hello from go workspace ${arch}\n`);
      expect(rep!.stdout + rep!.stderr).toBe(`hello from go replace ${arch}\n`);
      expect(node!.stdout + node!.stderr).toBe(`hello from node workspace ${arch === 'amd64' ? 'x64' : 'arm64'} built-in-member\n`);
      expect(java!.stdout, java!.stderr).toBe(`hello from maven reactor ${arch}\n`);
    }
  });
});

/** The files of an image's arm64 variant, as `docker export` lists them. */
function imageFiles(tag: string): string[] {
  const created = docker(['create', '--platform', 'linux/arm64', tag]);
  expect(created.status, created.stderr).toBe(0);
  const cid = created.stdout.trim();
  const listing = spawnSync('sh', ['-c', 'docker export "$1" | tar -t', 'sh', cid], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  docker(['rm', cid]);
  return listing.stdout.split('\n');
}

// Issue 19: system packages (`packages`) come from the runtime image's Debian
// archive, installed by apt-get in the final stage, which runs as each target
// platform (arm64 under QEMU); plan says emulated, and the build log agrees.
// The archive is the one network source a build here can reach (shared/ENGINE.md
// "Network inside builds"); without it this block is skipped, saying so.
describe.skipIf(!hasEngine)('built-in templates: system packages from the Debian archive', () => {
  let dir: string;
  let planned: Planned[];
  let bake: RunResult;
  let reachable = false;
  const id = runId();
  const tag = `localhost:5000/e2e-templates/pkgs:${id}`;

  beforeAll(async () => {
    const probe = await dockerAsync(['run', '--rm', fixtures().runtime, 'sh', '-c', 'timeout 60 apt-get update -qq']);
    reachable = probe.status === 0;
    // CI installs its own tools from the same archive: there, unreachable is a failure, not a skip.
    if (!reachable && process.env.CI === 'true') throw new Error(`CI=true but the runtime image's Debian archive is not reachable: ${probe.stderr.slice(-300)}`);
    if (!reachable) {
      console.warn(`templates.test.ts: the runtime image's Debian archive is not reachable, system packages not built: ${probe.stderr.slice(-300)}`);
      return;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-e2e-pkgs-'));
    writeFileSync(
      path.join(dir, 'matrix.yaml'),
      'version: 1\nplatforms: [linux/amd64, linux/arm64]\nservices:\n  pkgs:\n    context: pkgs\n    template: python\n    with: { packages: [jq], cmd: [jq, --version] }\n',
    );
    mkdirSync(path.join(dir, 'pkgs'));
    writeFileSync(path.join(dir, 'pkgs', 'app.py'), '');
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(matrix(dir, ['gen']).status).toBe(0);
    const plan = matrix(dir, ['plan', '--json', '--build-platform', 'linux/amd64']);
    expect(plan.status, plan.stderr).toBe(0);
    planned = JSON.parse(plan.stdout).targets;
    bake = await matrixAsync(dir, ['bake', '--push', '--json', ...fixtureSets(), '--set', `pkgs.tags=${tag}`]);
  });

  it('plan says the final stage runs as arm64, the build log shows apt-get ran as linux/arm64, and jq runs on both', async (ctx) => {
    if (!reachable) ctx.skip();
    expect(bake.status, bake.stderr.slice(-4000)).toBe(0);
    expect(planned[0]!.platforms).toEqual([
      { platform: 'linux/amd64', mode: 'native' },
      { platform: 'linux/arm64', mode: 'emulated', why: expect.stringMatching(/^the final stage runs `RUN` as the target platform, pkgs\/Dockerfile:\d+$/) },
    ]);
    const aptLines = bake.stderr.split('\n').filter((l) => l.includes('apt-get update'));
    // One target: bake leaves its name out of the step label (`[linux/arm64 stage-1 5/5]`).
    const ranAs = aptLines.map((l) => /^#\d+ \[(?:pkgs )?(\S+) stage-\d+ \d+\/\d+\] RUN set -eu;/.exec(l)?.[1]);
    expect(new Set(ranAs)).toEqual(new Set(['linux/amd64', 'linux/arm64']));
    for (const platform of PLATFORMS) {
      const r = await dockerAsync(['run', '--rm', '--platform', platform, tag]);
      expect(r.stdout, r.stderr).toMatch(/^jq-\d/);
    }
  });
});
