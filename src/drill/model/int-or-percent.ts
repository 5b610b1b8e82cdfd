/**
 * Kubernetes' IntOrString quantities (`maxSurge: 25%`, `minAvailable: 2`), resolved against a
 * total as the controllers do (apimachinery's `GetScaledValueFromIntOrPercent`).
 */
import { err, LameduckError, ok, type Result } from '../../errors/lameduck-error.js';

/** An integer, or a percentage written `"25%"`. */
export type IntOrPercent = number | string;

/**
 * `value` of `total`: an integer as it is, a percentage rounded up or down. Errors name `what`
 * (the field) for a negative number or a string that is not `N%`.
 */
export function resolveIntOrPercent(
  value: IntOrPercent,
  total: number,
  roundUp: boolean,
  what: string,
): Result<number> {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) {
      return err(new LameduckError('invalid_config', `${what} must be >= 0, got ${value}`));
    }
    return ok(value);
  }
  const match = /^(\d+)%$/.exec(value);
  if (match === null) {
    return err(
      new LameduckError(
        'invalid_config',
        `${what} must be an integer or a percentage, got '${value}'`,
      ),
    );
  }
  const scaled = (Number(match[1]) * total) / 100;
  return ok(roundUp ? Math.ceil(scaled) : Math.floor(scaled));
}
