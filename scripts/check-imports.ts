/**
 * Checks the structure of src/: no import cycles, and no import that points up a layer.
 *
 *   node --import tsx scripts/check-imports.ts [--graph]
 *
 * Layers, lowest first (a module imports only its own layer or lower ones):
 *
 *   0 core       domain types, ports, errors, config, bus, context
 *   1 adapters   store, mail, push (and the broker and media adapters to come): each imports
 *                core and its own folder only, never another adapter
 *   1 simulator  a client of Hestia over MQTT and HTTP: core and itself
 *   2 ingest     broker → codec → dispatcher → handlers → group commit; owns the small ports
 *                (gateway authority, command results, gateway link) that services implement
 *   3 services
 *   4 api
 *   5 app.ts     wires a process together
 *   6 cli
 *
 * ingest, services and api use adapters only through their ports in core/ports: they never
 * import an adapter. Only app.ts and the cli compose adapters (open the store, the mailer, the
 * push providers) and hand them over.
 *
 * Type-only imports count: they are dependencies of the design even if they vanish at runtime.
 * Exits 1 with one line per problem; `--graph` prints the module graph (file → imports) instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

interface Layer {
  name: string;
  rank: number;
  /** Folders of this layer that may not import each other (the adapters). */
  isolated?: boolean;
  /** An adapter: reached through its port, composed only by app.ts and the cli. */
  adapter?: boolean;
}

/** The layer of a file under src/, by its first path segment. */
export function layerOf(relativePath: string): Layer & { room: string } {
  const [first = ''] = relativePath.split('/');
  const room = first.replace(/\.ts$/, '');
  switch (room) {
    case 'core':
      return { name: 'core', rank: 0, room };
    case 'store':
    case 'mail':
    case 'broker':
    case 'media':
    case 'push':
      return { name: 'adapters', rank: 1, isolated: true, adapter: true, room };
    case 'simulator':
      return { name: 'simulator', rank: 1, isolated: true, room };
    case 'ingest':
      return { name: 'ingest', rank: 2, room };
    case 'services':
      return { name: 'services', rank: 3, room };
    case 'api':
      return { name: 'api', rank: 4, room };
    case 'app':
      return { name: 'app.ts', rank: 5, room };
    case 'cli':
      return { name: 'cli', rank: 6, room };
    default:
      throw new Error(`src/${relativePath}: in no layer; add its folder to scripts/check-imports.ts`);
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Relative imports, re-exports and dynamic imports of one file, resolved to files under src/. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.resolve(path.dirname(file), specifier));
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return found;
}

/** The shortest cycle through the first module of a component, as a path that ends where it starts. */
function shortestCycle(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const chain = [node];
        for (let at = node; at !== start;) {
          at = previous.get(at)!;
          chain.unshift(at);
        }
        return [...chain, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return component;
}

/** Every problem of a module graph (file under src/ → files it imports), one line each. */
export function checkGraph(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    for (const target of imports) {
      if (target.startsWith('..')) {
        problems.push(`src/${file} imports ${target}, outside src/`);
        continue;
      }
      const to = layerOf(target);
      if (to.rank > from.rank) {
        problems.push(
          `src/${file} (${from.name}) imports src/${target} (${to.name}): an import may not point up a layer`,
        );
      } else if (to.adapter && from.rank >= 2 && from.rank <= 4) {
        problems.push(
          `src/${file} (${from.name}) imports src/${target} (the ${to.room} adapter): ${from.name} use adapters through their ports in core/ports; app.ts and the cli compose them`,
        );
      } else if (to.rank === from.rank && from.isolated && to.room !== from.room) {
        problems.push(
          `src/${file} (${from.room}) imports src/${target} (${to.room}): ${from.name} import core and their own folder only`,
        );
      }
    }
  }
  for (const component of cycles(graph)) {
    const path = shortestCycle(graph, component);
    problems.push(
      `import cycle: ${path.map((file) => `src/${file}`).join(' → ')}` +
        (component.length > path.length - 1 ? ` (${component.length} modules in all are tied in it)` : ''),
    );
  }
  return problems;
}

/** The module graph of src/. */
export function moduleGraph(): Map<string, string[]> {
  const relative = (file: string): string => path.relative(SRC, file).split(path.sep).join('/');
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) graph.set(relative(file), importsOf(file).map(relative));
  return graph;
}

function main(): void {
  const graph = moduleGraph();
  if (process.argv.includes('--graph')) {
    for (const [file, imports] of graph) process.stdout.write(`${file}: ${imports.join(' ')}\n`);
    return;
  }
  const problems = checkGraph(graph);
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`${problem}\n`);
    process.stderr.write(
      `check-imports: ${problems.length} problem(s); the layers are listed in scripts/check-imports.ts\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`check-imports: ${graph.size} modules under src/, no cycles, no upward imports\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
