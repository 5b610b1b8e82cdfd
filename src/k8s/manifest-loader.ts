/**
 * Reads Kubernetes manifests (multi-document YAML or JSON) into {@link ManifestObject}s that
 * remember where each of their nodes sits, and reports what cannot be read with file and line.
 * Pure: the caller reads the files.
 */
import { Document, isNode, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { LameduckError } from '../errors/lameduck-error.js';

/** Where something is in a manifest file; lines and columns count from 1. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A path into a manifest object, as `yaml`'s `getIn` takes it: keys and sequence indexes. */
export type ManifestPath = ReadonlyArray<string | number>;

/** One Kubernetes object from a manifest file, with the document it came from. */
export interface ManifestObject {
  readonly kind: string;
  readonly apiVersion: string;
  readonly name: string;
  /** `metadata.namespace`, or `undefined` (the namespace the manifest is applied to). */
  readonly namespace: string | undefined;
  /** The object as plain data. */
  readonly value: Readonly<Record<string, unknown>>;
  readonly file: string;
  /** The `yaml` document: fixes edit it, so comments and formatting stay. */
  readonly document: Document;
  /** Where the object sits in its document: `[]`, or `['items', 3]` in a `List`. */
  readonly pathInDocument: ManifestPath;
  /** Adds a new object as a document at the end of this object's file (a fix's new PDB). */
  appendToFile(value: Record<string, unknown>): void;
  /**
   * Where `path` is; when it is absent, where its deepest present ancestor is (so a finding
   * about a missing field points at the object that lacks it).
   */
  locate(path: ManifestPath): SourceLocation;
}

/** A manifest file, read: its objects, and what could not be read. */
export interface LoadedManifest {
  readonly file: string;
  readonly text: string;
  readonly documents: readonly Document[];
  readonly objects: readonly ManifestObject[];
  readonly problems: readonly ManifestProblem[];
}

/** Something in a file that is not valid YAML or not a Kubernetes object. */
export interface ManifestProblem {
  readonly message: string;
  readonly location: SourceLocation;
}

/** Kubernetes' `List` kinds (`kubectl get -o yaml` output) hold their objects under `items`. */
const listKindPattern = /List$/;

/** Parses `text` (the content of `file`; `-` for standard input). Never throws. */
export function loadManifest(file: string, text: string): LoadedManifest {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const objects: ManifestObject[] = [];
  const problems: ManifestProblem[] = [];
  // Shared with every object of the file, so a fix can add a document to it.
  const fileDocuments: Document[] = Array.isArray(documents) ? [...documents] : [];
  const appendToFile = (value: Record<string, unknown>): void => {
    const added = new Document(value);
    if (fileDocuments.length > 0 && added.directives !== undefined)
      added.directives.docStart = true;
    fileDocuments.push(added);
  };
  // parseAllDocuments returns an EmptyStream (no documents) for empty input: nothing to read.
  for (const document of Array.isArray(documents) ? documents : []) {
    const [firstError] = document.errors;
    if (firstError !== undefined) {
      problems.push({
        message: `not valid YAML: ${firstError.message.split('\n')[0]}`,
        location: position(firstError.pos[0]),
      });
      continue;
    }
    const documentStart = position(document.range[0]);
    if (document.contents === null) continue; // an empty document (`---` at the end, comments)
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push({
        message: `cannot be read: ${LameduckError.from(error).rawMessage}`,
        location: documentStart,
      });
      continue;
    }
    // A document of comments only (Helm prints one per template that renders empty) reads as
    // null, and kubectl skips it: so do we.
    if (value === null) continue;
    const locate = (path: ManifestPath): SourceLocation => {
      for (let length = path.length; length >= 0; length -= 1) {
        const node = document.getIn(path.slice(0, length), true);
        if (isNode(node) && node.range) return position((node as Node).range?.[0] ?? 0);
      }
      return documentStart;
    };
    collectObjects(value, [], { document, file, locate, appendToFile }, objects, problems);
  }
  return { file, text, documents: fileDocuments, objects, problems };
}

/** What every object of one document shares. */
interface DocumentContext {
  document: Document;
  file: string;
  locate: (path: ManifestPath) => SourceLocation;
  appendToFile: (value: Record<string, unknown>) => void;
}

function collectObjects(
  value: unknown,
  path: ManifestPath,
  context: DocumentContext,
  objects: ManifestObject[],
  problems: ManifestProblem[],
): void {
  const at = context.locate(path);
  if (!isRecord(value)) {
    problems.push({ message: 'not a Kubernetes object (expected a mapping)', location: at });
    return;
  }
  const { kind, apiVersion } = value;
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
    problems.push({ message: 'not a Kubernetes object (no kind or apiVersion)', location: at });
    return;
  }
  if (listKindPattern.test(kind) && Array.isArray(value.items)) {
    for (const [index, item] of value.items.entries()) {
      collectObjects(item, [...path, 'items', index], context, objects, problems);
    }
    return;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name === '') {
    problems.push({ message: `${kind} has no metadata.name`, location: at });
    return;
  }
  objects.push({
    kind,
    apiVersion,
    name,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    value,
    file: context.file,
    document: context.document,
    pathInDocument: path,
    appendToFile: context.appendToFile,
    locate: (relative) => context.locate([...path, ...relative]),
  });
}

/**
 * The manifest's documents as text again, with every edit made to them since loading, in the
 * file's own style as far as it can be read: JSON stays JSON (several objects become a `List`),
 * mappings keep their indentation step, block sequences stay indented under their key (`key:\n  - a`) or not (`key:\n- a`, as
 * `kubectl` writes them), flow collections keep their padding (`{ a: 1 }` or `{a: 1}`), long
 * strings are not folded, and CRLF line ends stay.
 */
export function renderManifest(manifest: LoadedManifest): string {
  const { text } = manifest;
  const rendered = /^\s*[{[]/.test(text) ? renderJson(manifest) : renderYaml(manifest);
  return text.includes('\r\n') ? rendered.replace(/\r?\n/g, '\r\n') : rendered;
}

function renderYaml({ text, documents }: LoadedManifest): string {
  // The step from a key to the keys of its mapping below (`a:\n    b: 1` is 4), 2 by default.
  const indent = /^( *)[^\s#-][^\n]*:\r?\n\1( +)[^\s#-]/m.exec(text)?.[2]?.length ?? 2;
  const indentSeq = !/^( *)[^\s#-][^\n]*:\r?\n\1- /m.test(text);
  const padded = text.match(/[[{] [^\s\]}]/g)?.length ?? 0;
  const tight = text.match(/[[{][^\s\]}[{]/g)?.length ?? 0;
  const flowCollectionPadding = padded > 0 || tight === 0;
  return documents
    .map((document) =>
      document.toString({ indent, indentSeq, flowCollectionPadding, lineWidth: 0 }),
    )
    .join('');
}

function renderJson({ text, documents }: LoadedManifest): string {
  const indent = /^\s*[{[]\r?\n([ \t]+)/.exec(text)?.[1] ?? '  ';
  const [first, ...added] = documents.map((document) => document.toJS() as unknown);
  let value = first;
  // A fix's new object (a PDB) joins a List: a JSON file holds one value.
  if (added.length > 0) {
    value =
      isRecord(first) && Array.isArray(first.items) && listKindPattern.test(String(first.kind))
        ? { ...first, items: [...first.items, ...added] }
        : { apiVersion: 'v1', kind: 'List', items: [first, ...added] };
  }
  return `${JSON.stringify(value, null, indent)}${/\n\s*$/.test(text) ? '\n' : ''}`;
}

/** A plain object (a YAML mapping), not an array or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
