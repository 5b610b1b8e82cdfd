/**
 * Checks of what a caller passes as options, for messages that help: JavaScript callers get no
 * type checker, so a misspelled option would be silently ignored and a string would pass for a
 * number. Pure.
 */
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';

/**
 * A value as an error message shows it, its type included where `String()` would hide it: a
 * string `'45'` is not the number 45 (`gracePeriodSeconds: '45'`, read from a config file).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string '${value}'`;
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') {
    return `the ${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Refuses keys of `options` that `known` does not list, naming the closest known one when it is
 * near enough to be a typo (`gracePeriodSecond` → `gracePeriodSeconds`). `where` prefixes the
 * option's name (`admin.` for the admin server's). The problem is the error.
 */
export function checkKnownOptions(
  options: object,
  known: readonly string[],
  where = '',
): Result<void, string> {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const closest = closestName(key, known);
    const hint =
      closest === undefined
        ? `options are ${known.map((name) => `${where}${name}`).join(', ')}`
        : `did you mean ${where}${closest}?`;
    return err(`unknown option ${where}${key}: ${hint}`);
  }
  return ok(undefined);
}

/**
 * {@link checkKnownOptions} for a factory, which refuses a bad option by throwing:
 * `invalid_config`, the message prefixed with `component` (`grpc`, `etcd registration`).
 */
export function assertKnownOptions(
  component: string,
  options: object,
  known: readonly string[],
): void {
  const checked = checkKnownOptions(options, known);
  if (!checked.ok) throw new LameduckError('invalid_config', `${component}: ${checked.error}`);
}

/** The name in `names` nearest `name`, if it is within a typo's reach (case aside). */
export function closestName(name: string, names: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  // A third of the name, at least 2: `gracePeriodSecond` is 1 away, `port` from `host` 2.
  const reach = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && best.distance <= reach ? best.name : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
