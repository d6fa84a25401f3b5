// Short text summaries of `node --cpu-prof` (.cpuprofile) and `node --heap-prof`
// (.heapprofile) files: self time (or sampled allocation) by function and by where the code
// lives. Frames of a bundle with a linked source map (apps/worker/dist/*.mjs) are mapped back
// to their sources, so "where" names the library or the workspace package, not the bundle.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface HeapProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapProfileNode[];
}

const TOP = 15;

/** Maps bundle positions back to sources; files without a `.map` beside them stay as they are. */
class SourceLocator {
  private readonly maps = new Map<string, SourceMap | undefined>();

  locate(frame: CallFrame): { file: string; line: number } {
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const map = this.mapFor(file);
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) return { file: entry.originalSource.replace(/^file:\/\//, ''), line: (entry.originalLine ?? 0) + 1 };
    return { file, line: frame.lineNumber + 1 };
  }

  private mapFor(file: string): SourceMap | undefined {
    if (!this.maps.has(file)) {
      const mapFile = `${file}.map`;
      this.maps.set(file, file.endsWith('.mjs') && existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload) : undefined);
    }
    return this.maps.get(file);
  }
}

/** `node_modules/<package>`, `libs/<name>`, `apps/<name>`, `node: built-ins`, or the native/GC pseudo-frames. */
function areaOf(frame: CallFrame, file: string): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : `(${frame.functionName || 'native'})`;
  if (frame.url.startsWith('node:')) return 'node: built-ins';
  return /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(file)?.[0] ?? /(libs|apps)\/[^/]+/.exec(file)?.[0] ?? file;
}

function shortFile(file: string): string {
  return file.replace(/^.*\/(node_modules|libs|apps)\//, '$1/');
}

function top(map: Map<string, number>, total: number, unit: (value: number) => string): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, value]) => `  ${((value / total) * 100).toFixed(1).padStart(5)}%  ${unit(value).padStart(9)}  ${name}`)
    .join('\n');
}

/** Self time by area and by function over the whole process (start-up included). */
export function summarizeCpuProfile(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: CpuProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const locator = new SourceLocator();
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { file: source, line } = node.callFrame.url ? locator.locate(node.callFrame) : { file: '', line: 0 };
    const fn = `${node.callFrame.functionName || '(anonymous)'}${source ? ` ${shortFile(source)}:${line}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const area = areaOf(node.callFrame, source);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const seconds = (us: number) => `${(us / 1e6).toFixed(2)} s`;
  return `CPU: ${seconds(totalUs)} sampled (whole process, start-up included)\nby area:\n${top(byArea, totalUs, seconds)}\nby function (self time):\n${top(byFunction, totalUs, seconds)}`;
}

/**
 * Sampled allocations still live when the profile was written, by area and by function.
 * `--heap-prof` samples an allocation every 512 KiB by default and keeps those not yet collected.
 */
export function summarizeHeapProfile(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapProfileNode };
  const locator = new SourceLocator();
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  const stack: HeapProfileNode[] = [profile.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    stack.push(...node.children);
    if (node.selfSize === 0) continue;
    total += node.selfSize;
    const { file: source, line } = node.callFrame.url ? locator.locate(node.callFrame) : { file: '', line: 0 };
    const fn = `${node.callFrame.functionName || '(anonymous)'}${source ? ` ${shortFile(source)}:${line}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    const area = areaOf(node.callFrame, source);
    byArea.set(area, (byArea.get(area) ?? 0) + node.selfSize);
  }
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `heap: ${mib(total)} sampled live at exit\nby area:\n${top(byArea, total, mib)}\nby function (self size):\n${top(byFunction, total, mib)}`;
}
