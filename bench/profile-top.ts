// Prints the hottest functions of a V8 .cpuprofile (from `node --cpu-prof`): self time
// over everything, then self and inclusive time of chatload's own functions (src/).
//
// Usage: node --import tsx bench/profile-top.ts <file.cpuprofile | directory> [count]
// With a directory, the newest profile in it is read. `npm run bench:profile` records a
// profile and calls printProfile (bench/profile.ts).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Cost {
  selfMicros: number;
  totalMicros: number;
}

const ROOT = process.cwd();

function newestProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const profiles = readdirSync(path)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(path, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (profiles.length === 0) throw new Error(`no .cpuprofile in ${path}`);
  return profiles[0];
}

/** One key per function (name + place), so that V8's per-call-site nodes are merged. */
function keyOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  // Under tsx the generated code of a module is one line: a line number would say nothing.
  const line = lineNumber > 0 ? `:${lineNumber + 1}` : '';
  const place = file ? `${file}${line}` : '(native)';
  return `${functionName || '(anonymous)'}  ${place}`;
}

function costs(profile: Profile): { byKey: Map<string, Cost>; totalMicros: number } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }

  const byKey = new Map<string, Cost>();
  const costOf = (key: string) => {
    let cost = byKey.get(key);
    if (!cost) byKey.set(key, (cost = { selfMicros: 0, totalMicros: 0 }));
    return cost;
  };

  // Each sample is billed as self time to its leaf and once as inclusive time to every
  // distinct function on its stack (once, so that recursion is not counted twice).
  let totalMicros = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    totalMicros += micros;
    costOf(keyOf(nodes.get(id)!)).selfMicros += micros;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const key = keyOf(nodes.get(at)!);
      if (!seen.has(key)) costOf(key).totalMicros += micros;
      seen.add(key);
    }
  });
  return { byKey, totalMicros };
}

function printTop(title: string, rows: [string, Cost][], totalMicros: number, count: number) {
  const percent = (micros: number) => ((100 * micros) / totalMicros).toFixed(1).padStart(5);
  console.log(`\n${title}`);
  console.log(' self%  total%  function  file:line');
  for (const [key, cost] of rows.slice(0, count)) {
    console.log(`${percent(cost.selfMicros)}   ${percent(cost.totalMicros)}  ${key}`);
  }
}

/** Where the self time went: chatload, each package, Node's own JS, or native code. */
function areaOf(key: string): string {
  const place = key.slice(key.indexOf('  ') + 2);
  if (place.startsWith('src/')) return 'chatload src/';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(place);
  if (inPackage) return inPackage[1];
  if (place.startsWith('node:')) return 'node internals (JS)';
  if (place.startsWith('wasm://')) return 'wasm (llhttp)';
  return place === '(native)' ? 'native (C++, syscalls)' : 'other';
}

function printAreas(rows: [string, Cost][], totalMicros: number): void {
  const areas = new Map<string, number>();
  for (const [key, cost] of rows) {
    areas.set(areaOf(key), (areas.get(areaOf(key)) ?? 0) + cost.selfMicros);
  }
  console.log('\nself time by area (% of all samples)');
  const sorted = [...areas].sort((a, b) => b[1] - a[1]);
  // Below 0.1% an area is module loading noise, not part of the request path.
  for (const [area, micros] of sorted.filter(([, micros]) => micros >= totalMicros / 1000)) {
    console.log(`${((100 * micros) / totalMicros).toFixed(1).padStart(5)}  ${area}`);
  }
}

export function printProfile(path: string, count = 25): void {
  const file = newestProfile(path);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const { byKey, totalMicros } = costs(profile);
  const idle = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
  const rows = [...byKey].filter(([key]) => !idle.has(key.split('  ')[0]));

  console.log(`${file}: ${(totalMicros / 1e6).toFixed(1)} s sampled`);
  for (const name of idle) {
    const cost = byKey.get(`${name}  (native)`);
    if (cost) console.log(`${name}: ${((100 * cost.selfMicros) / totalMicros).toFixed(1)}%`);
  }
  printAreas(rows, totalMicros);
  const bySelf = rows.sort((a, b) => b[1].selfMicros - a[1].selfMicros);
  printTop('top self time, all code', bySelf, totalMicros, count);
  const ours = (key: string) => key.includes(' src/');
  const srcSelf = bySelf.filter(([key]) => ours(key));
  printTop('src/ by self time', srcSelf, totalMicros, count);
  const srcTotal = [...srcSelf].sort((a, b) => b[1].totalMicros - a[1].totalMicros);
  printTop('src/ by inclusive time', srcTotal, totalMicros, count);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printProfile(process.argv[2] ?? 'results/cpu-profiles', Number(process.argv[3] ?? 25));
}
