// `matrix test [TARGET...]`: the `test:` checks of the spec on images already
// built and pushed, without building: each target's first tag, each of its
// platforms' own manifest (by digest) from the index that tag points at.
import { createHash } from 'node:crypto';
import { dockerEnd, dockerMissing, dockerOf, inspectRaw, type Docker } from '../adapters/docker.js';
import { EndedError, endExit } from '../adapters/exit.js';
import { formatAbnormalEnd } from '../output/format.js';
import { selectTargets } from '../bake/command.js';
import { indexPlatforms } from '../bake/digests.js';
import { normalizePlatform } from '../platforms.js';
import { firstLine, quoted } from '../adapters/process.js';
import { isManifest } from '../repro/manifests.js';
import { buildEnvironment } from '../bake/gitenv.js';
import { repositoryOf } from '../ci/shard.js';
import { colors } from '../diagnostics.js';
import { evalDyn } from '../dyn.js';
import { formatTestFailures, runImageTests, testsOf, type TestFailure } from '../release/tests.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export async function runTest(io: Io, opts: CommandArgs['test'], color: boolean): Promise<number> {
  const c = colors(color);
  const loc = locateSpec(io, opts.spec);
  const compiled = compileOrThrow(loc, true);
  const spec = compiled.spec!;
  const sel = selectTargets(spec, opts.targets, opts.platform.length ? opts.platform : undefined);
  const env = await buildEnvironment(loc.repoRoot, io.env, false, spec);
  const docker = dockerOf(io.env);
  const failures: TestFailure[] = [];
  let images = 0;
  try {
    for (const { target, platforms } of sel.targets) {
      const tests = testsOf(compiled.loaded.value, target);
      const tag = target.tags.map((t) => evalDyn(t, env)).find((t): t is string => Boolean(t));
      if (!tests.length || !tag) continue;
      const digests = await platformDigests(docker, tag);
      for (const p of platforms) {
        const digest = digests && !('unreadable' in digests) ? digests[normalizePlatform(p)] : undefined;
        if (!digest) {
          const problem = digests && 'unreadable' in digests ? digests.unreadable : `${tag} has no image for ${p} (is it built and pushed?)`;
          failures.push({ target: target.name, platform: p, test: '(all)', problem, output: [] });
          continue;
        }
        images++;
        io.stderr.write(`matrix test: ${target.name} (${p}) ${repositoryOf(tag)}@${digest}\n`);
        failures.push(...(await runImageTests(docker, target.name, p, `${repositoryOf(tag)}@${digest}`, tests)));
      }
    }
  } catch (e) {
    // imagetools killed, or a docker that could not run it: said as that, not as an image that is not there.
    if (!(e instanceof EndedError)) throw e;
    if (failures.length) io.stderr.write(formatTestFailures(failures));
    io.stderr.write(formatAbnormalEnd(e.end, 'the tests'));
    return endExit(e.end);
  }
  if (failures.length) {
    io.stderr.write(formatTestFailures(failures));
    io.stdout.write(`${c.red(`${failures.length} check(s) failed`)} on ${images} image(s).\n`);
    return 1;
  }
  io.stdout.write(images ? `${c.green('passed')}: every check on ${images} image(s).\n` : 'No target with `test:` and a tag among the selected ones: nothing to test.\n');
  return 0;
}

/**
 * Platform -> its image manifest digest, for the image a tag points at;
 * undefined when the registry has none; `unreadable` when imagetools answered
 * with what is neither an index nor an image manifest. EndedError when
 * imagetools did not end on its own terms (src/adapters/exit.ts): that says
 * nothing of the image.
 */
async function platformDigests(docker: Docker, tag: string): Promise<Record<string, string> | { unreadable: string } | undefined> {
  const r = await inspectRaw(docker, tag);
  if (r.spawnError) throw dockerMissing(docker, r.spawnError);
  if (r.end) throw new EndedError(r.end);
  if (r.code !== 0) return undefined;
  const raw = r.stdout.replace(/\n$/, '');
  const platforms = indexPlatforms(raw);
  if (Object.keys(platforms).length) return platforms;
  // Only an image manifest is one platform's image (OCI image-spec manifest.md: config and layers): any
  // other answer (`null`, a wrapper's text, an index without platforms) has no digest to test; the
  // digest of its bytes names nothing in the registry.
  if (!isManifest(parsed(raw)))
    return { unreadable: `\`${docker.bin} buildx imagetools inspect --raw ${tag}\` printed neither an image index with platforms nor an image manifest: ${quoted(firstLine(raw)) || 'nothing'}` };
  // A single manifest: its platform is in its config; the digest of the bytes is the image.
  const single = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const args = ['buildx', 'imagetools', 'inspect', '--format', '{{json .Image}}', tag];
  const cfg = await docker.capture(args, { timeoutMs: 60_000 });
  const end = dockerEnd(docker, args, cfg);
  if (end) throw new EndedError(end);
  const img = cfg.code === 0 ? imageConfig(cfg.stdout) : {};
  return img.os && img.architecture ? { [normalizePlatform([img.os, img.architecture, img.variant].filter(Boolean).join('/'))]: single } : undefined;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The platform fields of `imagetools inspect --format '{{json .Image}}'`:
 * an OCI image config (os, architecture, variant: strings). Output that is
 * not such an object (a wrapper's text, `null`) gives none: the digests are
 * then not known, as where the inspect failed, never a crash.
 */
export function imageConfig(text: string): { os?: string; architecture?: string; variant?: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return {};
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const [os, architecture, variant] = [str('os'), str('architecture'), str('variant')];
  return { ...(os ? { os } : {}), ...(architecture ? { architecture } : {}), ...(variant ? { variant } : {}) };
}
