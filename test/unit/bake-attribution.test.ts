// Which target a failed step belongs to (src/bake/attribution.ts). BuildKit
// names a step shared through a named context (`contexts = { b = "target:b" }`)
// after whichever build reached it first: on buildx 0.13.1 the same failing
// `COPY missing /f` of b showed as `[b 1/1] COPY missing /f` in one run and
// `[c 1/1] COPY missing /f` in the next (2026-12-06; test/engine/bake-behaviour.test.ts
// builds it). The step's text is the instruction, with build args expanded in a
// RUN (BuildKit frontend/dockerfile/dockerfile2llb/convert.go: prefixCommand,
// processCmdEnv).
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions, reattribute, stepIsInstruction } from '../../src/bake/attribution.js';
import type { CellProgress } from '../../src/bake/progress.js';
import type { Target } from '../../src/spec.js';

describe('dockerfileInstructions', () => {
  it('joins continuation lines, drops comments and blank lines, collapses whitespace', () => {
    const text = ['# syntax comment', 'ARG X=1', '', 'FROM --platform=$BUILDPLATFORM img AS b', 'RUN set -eu; \\', '    # a comment inside', '    echo "$X"  >  /out', 'COPY  f /g', ''].join('\n');
    expect(dockerfileInstructions(text)).toEqual(['ARG X=1', 'FROM --platform=$BUILDPLATFORM img AS b', 'RUN set -eu; echo "$X" > /out', 'COPY f /g']);
  });
});

describe('stepIsInstruction', () => {
  it('a step is its instruction with build args expanded (the go template on linux/arm64, from a real plain log)', () => {
    const instruction =
      'RUN --mount=type=cache,target=/root/.cache/go-build set -eu; case "${TARGETARCH}" in arm) export GOARM="${TARGETVARIANT#v}" ;; esac; GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -o /out/app';
    const step = 'RUN --mount=type=cache,target=/root/.cache/go-build     set -eu;     case "arm64" in arm) export GOARM="" ;; esac;     GOOS=linux GOARCH=arm64 go build -o /out/app';
    expect(stepIsInstruction(step, instruction)).toBe(true);
    expect(stepIsInstruction(step.replace('go build', 'go vet'), instruction)).toBe(false);
  });

  it('COPY as written; the keyword in any case; another instruction or keyword never', () => {
    expect(stepIsInstruction('COPY missing /f', 'COPY missing /f')).toBe(true);
    expect(stepIsInstruction('COPY missing /f', 'copy missing /f')).toBe(true);
    expect(stepIsInstruction('COPY missing /f', 'COPY f /g')).toBe(false);
    expect(stepIsInstruction('ADD missing /f', 'COPY missing /f')).toBe(false);
    expect(stepIsInstruction('COPY missing /f/extra', 'COPY missing /f')).toBe(false);
  });

  it('references match any text, in order, anchored at both ends; many of them stay linear', () => {
    expect(stepIsInstruction('RUN echo a-b-c', 'RUN echo $X-$Y-$Z')).toBe(true);
    expect(stepIsInstruction('RUN echo abc', 'RUN echo $X-$Y')).toBe(false);
    expect(stepIsInstruction('RUN x', 'RUN x$A$B')).toBe(true);
    const many = `RUN ${Array.from({ length: 40 }, (_, i) => `$V${i}:`).join('')}`;
    const started = Date.now();
    expect(stepIsInstruction(`RUN ${'a'.repeat(5000)}`, many)).toBe(false);
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('reattribute', () => {
  const target = (name: string, contexts: Record<string, string> = {}) => ({ name, dockerfile: `${name}/Dockerfile`, contexts }) as unknown as Target;
  const targets = [target('a'), target('b'), target('c', { b: 'b' })];
  const files: Record<string, string> = { a: 'FROM scratch\nCOPY f /f\n', b: 'FROM scratch\nCOPY missing /f\n', c: 'FROM b\nCOPY f /g\n' };
  const read = (t: Target) => files[t.name];
  const cell = (t: string, status: CellProgress['status'], failedStep?: string): CellProgress => ({
    target: t,
    platform: 'linux/amd64',
    status,
    error: status === 'failed' ? ['"/missing": not found'] : [],
    ...(failedStep ? { failedStep } : {}),
  });
  const view = (cells: CellProgress[]) => cells.map((c) => [c.target, c.status, c.error.join(''), c.failedStep]);

  it("moves b's failure that BuildKit named after c to b; c is then unfinished", () => {
    const got = reattribute([cell('b', 'cancelled'), cell('c', 'failed', 'COPY missing /f')], targets, read);
    expect(view(got)).toEqual([
      ['b', 'failed', '"/missing": not found', 'COPY missing /f'],
      ['c', 'cancelled', '', undefined],
    ]);
  });

  it('keeps a failure named after its own target, a step of its own Dockerfile, or one it cannot place', () => {
    const named = [cell('b', 'failed', 'COPY missing /f'), cell('c', 'cancelled')];
    expect(view(reattribute(named, targets, read))).toEqual(view(named));
    const own = [cell('b', 'cancelled'), cell('c', 'failed', 'COPY f /g')];
    expect(view(reattribute(own, targets, read))).toEqual(view(own));
    // a is not a dependency of c: its instruction never moves c's failure there.
    const unrelated = [cell('a', 'cancelled'), cell('c', 'failed', 'COPY f /f')];
    expect(view(reattribute(unrelated, targets, read))).toEqual(view(unrelated));
    // A dependency that finished is not where a failure comes from.
    const finished = [cell('b', 'done'), cell('c', 'failed', 'COPY missing /f')];
    expect(view(reattribute(finished, targets, read))).toEqual(view(finished));
    // Unreadable Dockerfiles: as BuildKit named it.
    const unread = [cell('b', 'cancelled'), cell('c', 'failed', 'COPY missing /f')];
    expect(view(reattribute(unread, targets, () => undefined))).toEqual(view(unread));
  });

  it('leaves the cells it was given as they were', () => {
    const given = [cell('b', 'cancelled'), cell('c', 'failed', 'COPY missing /f')];
    const before = JSON.stringify(given);
    reattribute(given, targets, read);
    expect(JSON.stringify(given)).toBe(before);
  });
});
