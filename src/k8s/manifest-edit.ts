/**
 * Edits of a manifest object's YAML document, for fixes: `yaml` keeps the comments and the
 * formatting of everything the edit does not touch.
 */
import { isRecord, type ManifestObject, type ManifestPath } from './manifest-loader.js';
import type { ContainerView } from './workload.js';

/** Sets `path` (relative to the object) to `value`, creating the mappings on the way. */
export function setInObject(object: ManifestObject, path: ManifestPath, value: unknown): void {
  object.document.setIn([...object.pathInDocument, ...path], object.document.createNode(value));
}

/** Appends `value` to the sequence at `path`, creating it when absent. */
export function appendInObject(object: ManifestObject, path: ManifestPath, value: unknown): void {
  const fullPath = [...object.pathInDocument, ...path];
  if (object.document.getIn(fullPath) === undefined) {
    object.document.setIn(fullPath, object.document.createNode([value]));
  } else {
    object.document.addIn(fullPath, object.document.createNode(value));
  }
}

/** Sets env variable `name` of `container` to `value` (a string), adding it when absent. */
export function setContainerEnv(
  object: ManifestObject,
  container: ContainerView,
  name: string,
  value: string,
): void {
  const envPath = [...container.path, 'env'];
  const current = object.document.getIn([...object.pathInDocument, ...envPath]);
  const entries = readEnvEntries(object, envPath);
  const index = entries.findIndex((entry) => isRecord(entry) && entry.name === name);
  if (index >= 0) {
    setInObject(object, [...envPath, index, 'value'], value);
    return;
  }
  if (current === undefined) {
    setInObject(object, envPath, [{ name, value }]);
    return;
  }
  object.document.addIn(
    [...object.pathInDocument, ...envPath],
    object.document.createNode({ name, value }),
  );
}

function readEnvEntries(object: ManifestObject, envPath: ManifestPath): unknown[] {
  let value: unknown = object.value;
  for (const key of envPath) {
    value =
      isRecord(value) || Array.isArray(value)
        ? (value as Record<string | number, unknown>)[key]
        : undefined;
  }
  return Array.isArray(value) ? value : [];
}

/** Adds env variable `name` of `container` from the downward API field `fieldPath`. */
export function addContainerFieldEnv(
  object: ManifestObject,
  container: ContainerView,
  name: string,
  fieldPath: string,
): void {
  appendInObject(object, [...container.path, 'env'], {
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
}
