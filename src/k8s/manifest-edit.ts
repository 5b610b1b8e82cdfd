/**
 * Edits of a manifest object's YAML document, for fixes: `yaml` keeps the comments and the
 * formatting of everything the edit does not touch.
 */
import { isCollection, isScalar } from 'yaml';
import type { ManifestObject, ManifestPath } from './manifest-loader.js';
import type { ContainerView } from './workload.js';

/** Sets `path` (relative to the object) to `value`, creating the mappings on the way. */
export function setInObject(object: ManifestObject, path: ManifestPath, value: unknown): void {
  const fullPath = collectionsUpTo(object, path);
  object.document.setIn(fullPath, object.document.createNode(value));
}

/** Removes `path` (relative to the object), if it is there. */
export function deleteInObject(object: ManifestObject, path: ManifestPath): void {
  object.document.deleteIn([...object.pathInDocument, ...path]);
}

/**
 * The full path of `path` in the object's document, with a scalar on the way to it (say
 * `updateStrategy: RollingUpdate`, which the API server rejects anyway) replaced by a mapping,
 * so that an edit below it can be made.
 */
function collectionsUpTo(object: ManifestObject, path: ManifestPath): ManifestPath {
  const fullPath = [...object.pathInDocument, ...path];
  for (let length = object.pathInDocument.length + 1; length < fullPath.length; length += 1) {
    const ancestor = object.document.getIn(fullPath.slice(0, length), true);
    if (ancestor === undefined) break;
    if (!isCollection(ancestor)) {
      object.document.setIn(fullPath.slice(0, length), object.document.createNode({}));
      break;
    }
  }
  return fullPath;
}

/**
 * Sets the scalar at `path` to `value`, keeping its quoting style (`"…"` stays quoted); sets it
 * as {@link setInObject} does when it is absent or not a scalar.
 */
export function setScalarInObject(
  object: ManifestObject,
  path: ManifestPath,
  value: string | number | boolean,
): void {
  const node = object.document.getIn([...object.pathInDocument, ...path], true);
  if (isScalar(node)) node.value = value;
  else setInObject(object, path, value);
}

/** Appends `value` to the sequence at `path`, creating it when absent. */
export function appendInObject(object: ManifestObject, path: ManifestPath, value: unknown): void {
  const fullPath = collectionsUpTo(object, path);
  if (!isCollection(object.document.getIn(fullPath, true))) {
    object.document.setIn(fullPath, object.document.createNode([value]));
  } else {
    object.document.addIn(fullPath, object.document.createNode(value));
  }
}

/**
 * Sets env variable `name` of `container` to `value` (a string), adding it when absent and
 * replacing a `valueFrom` entry of that name.
 */
export function setContainerEnv(
  object: ManifestObject,
  container: ContainerView,
  name: string,
  value: string,
): void {
  // The kubelet keeps the last entry of a name: that is the one to change.
  const index = container.envIndexes.get(name);
  if (index === undefined) appendInObject(object, [...container.path, 'env'], { name, value });
  else if (
    object.document.hasIn([...object.pathInDocument, ...container.path, 'env', index, 'value'])
  ) {
    setInObject(object, [...container.path, 'env', index, 'value'], value);
  } else setInObject(object, [...container.path, 'env', index], { name, value });
}

/**
 * Sets env variable `name` of `container` from the downward API field `fieldPath`
 * (`valueFrom.fieldRef`), adding it when absent and replacing an entry of the same name (a
 * duplicate name would leave which one wins to the reader).
 */
export function setContainerFieldEnv(
  object: ManifestObject,
  container: ContainerView,
  name: string,
  fieldPath: string,
): void {
  const entry = { name, valueFrom: { fieldRef: { fieldPath } } };
  // The kubelet keeps the last entry of a name: that is the one to change.
  const index = container.envIndexes.get(name);
  if (index === undefined) appendInObject(object, [...container.path, 'env'], entry);
  else setInObject(object, [...container.path, 'env', index], entry);
}
