// `matrix graph`: services, what they are built FROM (depends_on) and their
// platforms, as Mermaid (for Markdown) or Graphviz dot.
import type { ResolvedSpec } from '../spec.js';
import { compileOrThrow, locateSpec, type Io } from './io.js';
import type { CommandArgs } from './options.js';

export type GraphFormat = 'mermaid' | 'dot';

interface Node {
  service: string;
  targets: number;
  platforms: string[];
  source: string;
  deps: string[];
}

function nodes(spec: ResolvedSpec): Node[] {
  const byName = new Map(spec.targets.map((t) => [t.name, t]));
  return [...spec.services].map(([service, names]) => {
    const ts = names.map((n) => byName.get(n)!);
    const first = ts[0]!;
    const platforms = [...new Set(ts.flatMap((t) => t.platforms))];
    const deps = [...new Set(ts.flatMap((t) => Object.values(t.contexts).map((d) => byName.get(d)!.service)))];
    const source = first.source.kind === 'template' ? `template ${first.source.template}` : `dockerfile ${first.source.file}`;
    return { service, targets: ts.length, platforms, source, deps };
  });
}

export function renderGraph(spec: ResolvedSpec, format: GraphFormat): string {
  const ns = nodes(spec);
  const label = (n: Node) => [n.service + (n.targets > 1 ? ` (${n.targets} variants)` : ''), n.source, n.platforms.join(', ')];
  if (format === 'dot') {
    const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
    const lines = ['digraph matrix {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
    for (const n of ns) lines.push(`  ${q(n.service)} [label=${q(label(n).join('\n'))}];`);
    for (const n of ns) for (const d of n.deps) lines.push(`  ${q(d)} -> ${q(n.service)};`);
    lines.push('}');
    return lines.join('\n') + '\n';
  }
  // Mermaid: arrows point from the image a service is built FROM to the service.
  const id = (s: string) => `s_${s.replace(/-/g, '__')}`;
  const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const lines = ['graph LR'];
  for (const n of ns) lines.push(`  ${id(n.service)}["${label(n).map(text).join('<br/>')}"]`);
  for (const n of ns) for (const d of n.deps) lines.push(`  ${id(d)} --> ${id(n.service)}`);
  return lines.join('\n') + '\n';
}

export function runGraph(io: Io, opts: CommandArgs['graph']): number {
  const loc = locateSpec(io, opts.spec);
  const result = compileOrThrow(loc, true);
  io.stdout.write(renderGraph(result.spec!, opts.format));
  return 0;
}
