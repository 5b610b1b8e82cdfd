/**
 * The text of a manifest file after its fixes, with every byte outside the fixes' edits as it
 * was. Pure.
 *
 * Why not print the edited documents: `yaml` prints the data, not the text, so it rewrites what
 * no fix touched (YAML 1.1 octal `0644` as `644`, which Kubernetes then reads as decimal; JSON
 * `12345678901234567890` as `12345678901234567000`; `6.0e2` as `600`; spacing). Why not edit the
 * text by source ranges: each fix would need its own YAML and JSON emitter for the context it
 * lands in (block or flow, indentation, commas), a second printer to get wrong. So the fixes edit
 * the document, `yaml` prints it before and after, and only the lines that differ between the
 * two prints are carried into the file as written ({@link mergeLineEdit}); where the printer
 * rewrote a line the edit touches, the file is refused rather than changed.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Document, parseAllDocuments, visit } from 'yaml';
import { err, ok, type Result } from '../errors/lameduck-error.js';
import { mergeLineEdit } from './line-merge.js';
import { type LoadedManifest, loadManifest, renderManifest } from './manifest-loader.js';

/**
 * `manifest`'s text with the edits made to its documents since loading. The error says why the
 * edits cannot be made without changing other bytes (the file is then left as it is).
 */
export function renderFixedManifest(manifest: LoadedManifest): Result<string, string> {
  const unedited = loadManifest(manifest.file, manifest.text);
  const after = renderManifest(manifest);
  const removed = removedLines(manifest.text, unedited.documents, manifest.documents);
  const merged = mergeLineEdit(manifest.text, renderManifest(unedited), after, (index) =>
    removed.has(index),
  );
  if (!merged.ok) {
    const { line, text } = merged.error;
    const excerpt = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return err(
      `the edit reaches line ${line} (${JSON.stringify(excerpt)}), which lameduck would write ` +
        'in another form: make the fix by hand',
    );
  }
  // A safety net: the lines carried over must give the same data as the edited documents.
  if (!sameData(merged.value, after)) {
    return err('the edit cannot be placed in the file as written: make the fix by hand');
  }
  return ok(merged.value);
}

/**
 * The indexes of the lines of `text` all of whose content (indentation aside) belongs to a node
 * or pair of `before` (`text` as parsed) that the edits removed from `after` (a preStop `exec`
 * replaced by a `sleep`): bytes the edit replaces, whatever form they had.
 */
function removedLines(
  text: string,
  before: readonly Document[],
  after: readonly Document[],
): Set<number> {
  const rangeKey = (range: readonly number[]) => range.join(',');
  const kept = new Set<string>();
  for (const document of after) {
    visit(document, {
      Node: (_, node) => {
        if (node.range) kept.add(rangeKey(node.range));
      },
    });
  }
  const spans: Array<readonly [number, number]> = [];
  const isRemoved = (node: unknown): node is { range: readonly number[] } => {
    const range = (node as { range?: readonly number[] } | null)?.range;
    return range !== undefined && !kept.has(rangeKey(range));
  };
  for (const document of before) {
    visit(document, {
      Pair: (_, pair) => {
        if (!isRemoved(pair.key)) return undefined;
        const end = isRemoved(pair.value) ? pair.value.range[2] : pair.key.range[2];
        spans.push([pair.key.range[0] ?? 0, end ?? 0]);
        return visit.SKIP;
      },
      Node: (_, node) => {
        if (!isRemoved(node)) return undefined;
        spans.push([node.range[0] ?? 0, node.range[2] ?? 0]);
        return visit.SKIP;
      },
    });
  }
  const lines = new Set<number>();
  let offset = 0;
  for (const [index, line] of text.split('\n').entries()) {
    const start = offset + line.length - line.trimStart().length;
    const end = offset + line.trimEnd().length;
    if (end > start && spans.some(([from, to]) => from <= start && end <= to)) lines.add(index);
    offset += line.length + 1;
  }
  return lines;
}

/** Whether both texts are valid YAML with equal data (a document with errors is never equal). */
function sameData(a: string, b: string): boolean {
  const [dataA, dataB] = [readData(a), readData(b)];
  return dataA !== undefined && dataB !== undefined && isDeepStrictEqual(dataA, dataB);
}

function readData(text: string): unknown[] | undefined {
  try {
    const documents = parseAllDocuments(text);
    if (!Array.isArray(documents)) return [];
    if (documents.some((document) => document.errors.length > 0)) return undefined;
    return documents.map((document) => document.toJS({ maxAliasCount: 100 }));
  } catch {
    return undefined;
  }
}
