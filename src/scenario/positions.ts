// Maps a path in the parsed document (`['flows', 0, 'steps', 2]`) back to the YAML node it
// came from, so every issue carries the line and column where the user has to look.

import { isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { formatPath } from './errors.js';
import type { ScenarioIssue } from './errors.js';

export type DocPath = (string | number)[];

export interface ReportOptions {
  /** Point at the key rather than its value (for unknown or misplaced keys). */
  key?: boolean;
  /** Offset inside a string value, for mistakes within a template or threshold. */
  offset?: number;
}

interface Found {
  /** The node at the path, or the nearest ancestor that exists. */
  node: Node | null;
  /** The key of the last pair walked through, when the path ends in a map. */
  keyNode: Node | null;
}

/** Collects issues against one document; issues are later thrown together. */
export class Reporter {
  readonly issues: ScenarioIssue[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  add(path: DocPath, message: string, options: ReportOptions = {}): void {
    const { line, col } = this.lines.linePos(this.offsetOf(path, options));
    this.issues.push({ file: this.file, line, column: col, path: formatPath(path), message });
  }

  /** Adds an issue at a raw character offset (YAML syntax errors have no path). */
  addAt(offset: number, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.issues.push({ file: this.file, line, column: col, path: '', message });
  }

  /** `file:line:col` of the node at `path`, for messages at run time. */
  location(path: DocPath): string {
    const { line, col } = this.lines.linePos(this.offsetOf(path, {}));
    return `${this.file}:${line}:${col}`;
  }

  /** Issues in reading order, which is how an editor's problem list shows them. */
  sorted(): ScenarioIssue[] {
    return [...this.issues].sort((a, b) => a.line - b.line || a.column - b.column);
  }

  private offsetOf(path: DocPath, options: ReportOptions): number {
    if (!this.doc) return 0;
    const { node, keyNode } = find(this.doc, path);
    if (options.key && keyNode?.range) return keyNode.range[0];

    // A key written with no value (`steps:`) has no value node: point at the key.
    const target = node?.range ? node : keyNode;
    if (!target?.range) return 0;
    return target.range[0] + (options.offset ? this.innerOffset(target, options.offset) : 0);
  }

  // Exact for plain and quoted strings on one line (escapes aside); a folded or multi-line
  // string gets the start of the node, which is close enough to find the mistake.
  private innerOffset(node: Node, offset: number): number {
    if (!isScalar(node) || !node.range) return 0;
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
    if (!quoted && node.type !== Scalar.PLAIN) return 0;
    const last = Math.max(node.range[0], node.range[1] - 1);
    if (this.lines.linePos(node.range[0]).line !== this.lines.linePos(last).line) return 0;
    return offset + (quoted ? 1 : 0);
  }
}

function find(doc: Document, path: DocPath): Found {
  let node = doc.contents as Node | null;
  let keyNode: Node | null = null;

  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) return { node, keyNode: null };
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
      if (!node) return { node: null, keyNode };
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      node = node.items[segment] as Node;
      keyNode = null;
    } else {
      return { node, keyNode: null };
    }
  }
  return { node, keyNode };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}
