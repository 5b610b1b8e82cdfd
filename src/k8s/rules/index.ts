/** Every lint rule, in the order their findings are explained in the docs. */
import type { LintRule } from '../lint-rule.js';
import { shutdownBudgetRule } from './shutdown-budget.js';

export const lintRules: readonly LintRule[] = [shutdownBudgetRule];
