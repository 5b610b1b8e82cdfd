/**
 * A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
 * `envFrom` sources in order, then `env` entries, a later name winning; `configMapKeyRef` and
 * `secretKeyRef` read from the ConfigMaps and Secrets found among the manifests; `$(NAME)` in a
 * value expanded from the names defined before it. What the manifests cannot tell (a Secret not
 * given, the node's address) is kept apart, so a rule never takes a guess for a fact.
 */
import { list, record, stringMap } from './lenient-data.js';
import {
  isRecord,
  type ManifestObject,
  type ManifestPath,
  type SourceLocation,
} from './manifest-loader.js';

/**
 * The ConfigMap or Secret `name` (in the workload's namespace), or `undefined` when it is not
 * among the manifests.
 */
export type EnvSourceLookup = (kind: 'ConfigMap' | 'Secret', name: string) => EnvSource | undefined;

/**
 * The value of a pod field (`status.podIP`, `metadata.name`) for `fieldRef`, or `undefined`
 * when it is not known (a linter knows none; the drill knows every field of its pods).
 */
export type FieldLookup = (fieldPath: string) => string | undefined;

/** A ConfigMap or Secret among the manifests, as env values. */
export interface EnvSource {
  readonly object: ManifestObject;
  /** Its keys and values (a Secret's decoded). */
  readonly data: Readonly<Record<string, string>>;
}

/** Where an env value is set outside the container: `ConfigMap app-env`, at its key. */
export interface EnvOrigin {
  /** `ConfigMap app-env`, `Secret db`. */
  readonly source: string;
  readonly location: SourceLocation;
}

/** What the manifests say about one env variable of a container. */
export type EnvValue =
  /** Its value; `origin` is the ConfigMap or Secret key it comes from, if it does. */
  | { kind: 'value'; value: string; origin?: EnvOrigin }
  /** Set, to a value the manifests do not tell (a Secret not linted, the node's address). */
  | { kind: 'elsewhere'; from: string }
  /** Not set by the manifests; `maybeFrom` names `envFrom` sources that could set it. */
  | { kind: 'unset'; maybeFrom: readonly string[] };

/** A `configMapKeyRef` or `secretKeyRef` to a key its source (among the manifests) lacks. */
export interface MissingEnvKey {
  /** The env variable. */
  readonly name: string;
  /** `ConfigMap app-env`. */
  readonly source: string;
  readonly key: string;
  /** Where the reference is, in the workload. */
  readonly path: ManifestPath;
}

/** A container's environment, as far as the manifests tell. */
export interface ContainerEnv {
  /**
   * Env values the manifests tell: literal `value`s (expanded), and keys of ConfigMaps and
   * Secrets (through `envFrom` or `valueFrom`) found among the manifests.
   */
  readonly env: ReadonlyMap<string, string>;
  /**
   * Env names that are set but whose value the manifests do not tell, with where it comes from:
   * `fieldRef status.hostIP`, `ConfigMap app-env`.
   */
  readonly envSetElsewhere: ReadonlyMap<string, string>;
  /** Env names in `env` whose value comes from a ConfigMap or Secret, with where it is set. */
  readonly envValueSources: ReadonlyMap<string, EnvOrigin>;
  /**
   * `envFrom` sources not among the manifests (`ConfigMap app-env`): any name not in `env` may
   * still be set by them.
   */
  readonly envFromUnresolved: readonly string[];
  /** Where each env name's last entry sits in the `env` list (the one the kubelet keeps). */
  readonly envIndexes: ReadonlyMap<string, number>;
  /** Env names set from a field ref, with the field (`HOST_IP` → `status.hostIP`). */
  readonly envFieldRefs: ReadonlyMap<string, string>;
  /**
   * Required key references whose ConfigMap or Secret is among the manifests without the key:
   * the kubelet does not start the container (CreateContainerConfigError).
   */
  readonly envMissingKeys: readonly MissingEnvKey[];
}

/** What the manifests say about env variable `name` of `container`. */
export function envValue(container: ContainerEnv, name: string): EnvValue {
  const value = container.env.get(name);
  const origin = container.envValueSources.get(name);
  if (value !== undefined) {
    return origin === undefined ? { kind: 'value', value } : { kind: 'value', value, origin };
  }
  const from = container.envSetElsewhere.get(name);
  if (from !== undefined) return { kind: 'elsewhere', from };
  return { kind: 'unset', maybeFrom: container.envFromUnresolved };
}

/** What a ConfigMap or Secret gives as env values, and the Secret keys that are not base64. */
export interface EnvSourceData {
  readonly data: Record<string, string>;
  /** Keys of a Secret's `data` whose value is not base64: the API server rejects the Secret. */
  readonly invalidKeys: readonly string[];
}

/** Strict base64, as the API server decodes a Secret's `data` (Go's StdEncoding). */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The env values a ConfigMap or Secret gives (`data`; a Secret's `data` is base64 and its
 * `stringData` wins), or `undefined` when `object` is neither.
 */
export function readEnvSourceData(object: ManifestObject): EnvSourceData | undefined {
  if (object.kind === 'ConfigMap') return { data: stringMap(object.value.data), invalidKeys: [] };
  if (object.kind !== 'Secret') return undefined;
  const invalidKeys: string[] = [];
  const decoded: Record<string, string> = {};
  for (const [key, base64] of Object.entries(stringMap(object.value.data))) {
    if (base64Pattern.test(base64)) decoded[key] = Buffer.from(base64, 'base64').toString('utf8');
    else invalidKeys.push(key);
  }
  return { data: { ...decoded, ...stringMap(object.value.stringData) }, invalidKeys };
}

/** Reads the environment of `container` (a container spec at `path`). */
export function readContainerEnv(
  container: Readonly<Record<string, unknown>>,
  path: ManifestPath,
  lookupEnvSource: EnvSourceLookup,
  lookupField: FieldLookup = () => undefined,
): ContainerEnv {
  const env = new Map<string, string>();
  const envSetElsewhere = new Map<string, string>();
  const envValueSources = new Map<string, EnvOrigin>();
  const envFromUnresolved: string[] = [];
  const envFieldRefs = new Map<string, string>();
  const envIndexes = new Map<string, number>();
  const envMissingKeys: MissingEnvKey[] = [];
  const set = (name: string, value: EnvValue): void => {
    env.delete(name);
    envValueSources.delete(name);
    envSetElsewhere.delete(name);
    if (value.kind === 'value') {
      env.set(name, value.value);
      if (value.origin !== undefined) envValueSources.set(name, value.origin);
    } else if (value.kind === 'elsewhere') envSetElsewhere.set(name, value.from);
  };

  for (const entry of list(container.envFrom)) {
    const source = record(entry);
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    const [kind, reference] =
      source.secretRef === undefined
        ? (['ConfigMap', record(source.configMapRef)] as const)
        : (['Secret', record(source.secretRef)] as const);
    if (typeof reference.name !== 'string') continue;
    const found = lookupEnvSource(kind, reference.name);
    if (found === undefined) {
      envFromUnresolved.push(`${kind} ${reference.name}`);
      continue;
    }
    for (const [key, value] of Object.entries(found.data)) {
      set(prefix + key, { kind: 'value', value, origin: envOrigin(found, key) });
    }
  }

  for (const [index, entry] of list(container.env).entries()) {
    const variable = record(entry);
    const { name } = variable;
    if (typeof name !== 'string') continue;
    envIndexes.set(name, index);
    const valueFrom = record(variable.valueFrom);
    const fieldPath = record(valueFrom.fieldRef).fieldPath;
    if (typeof fieldPath === 'string') envFieldRefs.set(name, fieldPath);
    else envFieldRefs.delete(name);
    // A present, non-null `value` wins; `value:` left empty (a Helm value that rendered to
    // nothing) is the empty string, and then `valueFrom`, if any, is read.
    const literal = variable.value === undefined || variable.value === null ? '' : variable.value;
    if (literal !== '' || variable.valueFrom === undefined) {
      set(name, expand(String(literal), env, envSetElsewhere, envFromUnresolved));
      continue;
    }
    const reference = readEnvReference(valueFrom, lookupEnvSource, lookupField);
    if (reference.kind === 'missing-key') {
      if (!reference.optional) {
        envMissingKeys.push({
          name,
          source: reference.source,
          key: reference.key,
          path: [...path, 'env', index, 'valueFrom'],
        });
      }
      // The kubelet skips an optional key that is missing (an `envFrom` value of the name
      // stays); a required one starts nothing, so its value does not matter.
      continue;
    }
    set(name, reference);
  }
  return {
    env,
    envSetElsewhere,
    envValueSources,
    envFromUnresolved,
    envIndexes,
    envFieldRefs,
    envMissingKeys,
  };
}

/**
 * Expands `$(NAME)` in `text` as the kubelet does (third_party/forked/golang/expansion): a name
 * defined before is replaced by its value, `$$` is a `$`, anything else stays as written. A
 * reference to a value the manifests do not tell makes the whole value unknown.
 */
function expand(
  text: string,
  env: ReadonlyMap<string, string>,
  setElsewhere: ReadonlyMap<string, string>,
  envFromUnresolved: readonly string[],
): EnvValue {
  let unknownFrom: string | undefined;
  const value = text.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    const known = env.get(name);
    if (known !== undefined) return known;
    const elsewhere =
      setElsewhere.get(name) ??
      (envFromUnresolved.length > 0 ? envFromUnresolved.join(' or ') : undefined);
    if (elsewhere !== undefined) unknownFrom ??= `$(${name}), from ${elsewhere}`;
    return match;
  });
  return unknownFrom === undefined
    ? { kind: 'value', value }
    : { kind: 'elsewhere', from: unknownFrom };
}

type EnvReference =
  | EnvValue
  | { kind: 'missing-key'; source: string; key: string; optional: boolean };

/** Reads an env entry's `valueFrom`: a ConfigMap or Secret key, or a field of the pod. */
function readEnvReference(
  valueFrom: Readonly<Record<string, unknown>>,
  lookupEnvSource: EnvSourceLookup,
  lookupField: FieldLookup,
): EnvReference {
  const fieldPath = record(valueFrom.fieldRef).fieldPath;
  if (typeof fieldPath === 'string') {
    const value = lookupField(fieldPath);
    return value === undefined
      ? { kind: 'elsewhere', from: `fieldRef ${fieldPath}` }
      : { kind: 'value', value };
  }
  if (valueFrom.resourceFieldRef !== undefined) {
    return { kind: 'elsewhere', from: 'resourceFieldRef' };
  }
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const selector = record(valueFrom[kind === 'ConfigMap' ? 'configMapKeyRef' : 'secretKeyRef']);
    if (typeof selector.name !== 'string' || typeof selector.key !== 'string') continue;
    const source = `${kind} ${selector.name}`;
    const found = lookupEnvSource(kind, selector.name);
    if (found === undefined) return { kind: 'elsewhere', from: source };
    const value = found.data[selector.key];
    if (value === undefined) {
      return {
        kind: 'missing-key',
        source,
        key: selector.key,
        optional: selector.optional === true,
      };
    }
    return { kind: 'value', value, origin: envOrigin(found, selector.key) };
  }
  return { kind: 'value', value: '' };
}

function envOrigin({ object }: EnvSource, key: string): EnvOrigin {
  // A Secret's stringData wins over its data, so that is where the value is set.
  const inStringData = isRecord(object.value.stringData) && key in object.value.stringData;
  return {
    source: `${object.kind} ${object.name}`,
    location: object.locate([inStringData ? 'stringData' : 'data', key]),
  };
}
