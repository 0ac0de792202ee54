/**
 * Where a value sits in a YAML file: maps a path of keys and indices (as zod reports it) to
 * `file:line:column`, pointing at the deepest node of the path that exists in the file.
 */
import { isMap, isNode, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';

/** A path into a parsed document. */
export type DocPath = readonly (string | number)[];

/** Line and column (1-based) of paths in one document. */
export class YamlLocator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line:col` of `path`; with `key`, of that key inside the mapping at `path`. */
  at(path: DocPath, key?: string): string {
    const { line, col } = this.position(path, key);
    return `${this.file}:${line}:${col}`;
  }

  /** Line and column of `path` (or of `key` in the mapping there). */
  position(path: DocPath, key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = (node as { range?: [number] } | null)?.range?.[0] ?? 0;
    const steps = key === undefined ? path : [...path, key];
    for (let i = 0; i < steps.length; i++) {
      const k = steps[i]!;
      let next: unknown;
      let keyOffset: number | undefined;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(k),
        );
        if (pair) {
          keyOffset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
          next = pair.value;
        }
      } else if (isSeq(node) && typeof k === 'number') {
        next = node.items[k];
      }
      if (next === undefined && keyOffset === undefined) break;
      // A key asked for by name points at the key itself; otherwise at the value.
      const last = i === steps.length - 1;
      const valueOffset = isNode(next) ? next.range?.[0] : undefined;
      offset = (last && key !== undefined ? keyOffset : (valueOffset ?? keyOffset)) ?? offset;
      if (!isNode(next)) break;
      node = next;
    }
    return this.lines.linePos(offset);
  }
}
