/**
 * The ConfigMaps and Secrets among a set of manifests, as env sources of the workloads in the
 * same namespace; shared by the linter and the drill. Pure.
 */
import { type EnvSource, type EnvSourceLookup, readEnvSourceData } from './container-env.js';
import type { ManifestObject } from './manifest-loader.js';

/** The env sources of a set of objects. */
export interface EnvSources {
  /** The lookup for a workload in `namespace`. */
  lookupIn(namespace: string | undefined): EnvSourceLookup;
  /** Secret keys whose `data` is not base64 (the API server rejects the Secret). */
  readonly invalidKeys: ReadonlyArray<{ object: ManifestObject; key: string }>;
}

/** Indexes the ConfigMaps and Secrets among `objects`. */
export function indexEnvSources(objects: readonly ManifestObject[]): EnvSources {
  const sources = new Map<string, EnvSource>();
  const invalidKeys: Array<{ object: ManifestObject; key: string }> = [];
  const keyOf = (namespace: string | undefined, kind: string, name: string) =>
    JSON.stringify([namespace, kind, name]);
  for (const object of objects) {
    const source = readEnvSourceData(object);
    if (source === undefined) continue;
    sources.set(keyOf(object.namespace, object.kind, object.name), { object, data: source.data });
    for (const key of source.invalidKeys) invalidKeys.push({ object, key });
  }
  return {
    lookupIn: (namespace) => (kind, name) => sources.get(keyOf(namespace, kind, name)),
    invalidKeys,
  };
}
