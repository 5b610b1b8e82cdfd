import type { LabelSelector } from './workload.js';

/**
 * Whether `labels` satisfy `selector`: every matchLabels entry and every expression. An absent
 * selector matches nothing; an empty one, everything.
 */
export function selectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector.present) return false;
  const entries = Object.entries(selector.matchLabels);
  return (
    entries.every(([key, value]) => labels[key] === value) &&
    selector.matchExpressions.every(({ key, operator, values }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}
