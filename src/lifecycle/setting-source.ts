/**
 * Where a number setting comes from: an option in code wins over the environment, which wins
 * over the default; each is checked as lameduck checks every number (see `whole-number.ts`).
 * Pure: the environment is passed in.
 */
import { ok, type Result } from '../errors/lameduck-error.js';
import {
  checkWholeNumber,
  parseWholeNumber,
  type WholeNumberRange,
} from '../options/whole-number.js';

/** Where a setting's value came from: an option in code, the environment, or the default. */
export type SettingOrigin = 'option' | 'env' | 'default';

/** The environment, as `process.env` holds it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A number as resolved: its value (`undefined`: the default applies) and where it came from. */
export interface ResolvedNumber {
  value: number | undefined;
  origin: SettingOrigin;
}

/**
 * A whole-number setting: from code when given there, else from the env variable `envName` when
 * set and not blank, else `undefined` (the default). Both are checked against `range` (see
 * {@link parseWholeNumber} for how env text is read); the problem, naming the option or the
 * variable, is the error.
 */
export function resolveWholeNumber(
  key: string,
  fromCode: unknown,
  envName: string,
  env: Env,
  range: WholeNumberRange,
): Result<ResolvedNumber, string> {
  if (fromCode !== undefined) {
    const checked = checkWholeNumber(key, fromCode, range);
    return checked.ok ? ok({ value: checked.value, origin: 'option' }) : checked;
  }
  const fromEnv = env[envName];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    return ok({ value: undefined, origin: 'default' });
  }
  const parsed = parseWholeNumber(envName, fromEnv, range);
  return parsed.ok ? ok({ value: parsed.value, origin: 'env' }) : parsed;
}
