/** Every lint rule, in the order the README's table explains them. */
import type { LintRule } from '../lint-rule.js';
import { adminProbePortRule } from './admin-probe-port.js';
import { envReferenceMissingRule } from './env-reference-missing.js';
import { livenessHairTriggerRule } from './liveness-hair-trigger.js';
import { meshDrainRule } from './mesh-drain.js';
import { pdbRule } from './pdb.js';
import { prestopExecMissingBinaryRule } from './prestop-exec-missing-binary.js';
import { prestopExecSleepRule } from './prestop-exec-sleep.js';
import { prestopHookPortRule } from './prestop-hook-port.js';
import { prestopHookRefusedRule } from './prestop-hook-refused.js';
import { prestopMissingRule } from './prestop-missing.js';
import { publishNotReadyAddressesRule } from './publish-not-ready-addresses.js';
import { readinessProbeRule } from './readiness-probe.js';
import { readinessSameAsLivenessRule } from './readiness-same-as-liveness.js';
import { rollingUpdateCapacityRule } from './rolling-update-capacity.js';
import { serviceTargetPortRule } from './service-target-port.js';
import { shellPid1Rule } from './shell-pid1.js';
import { shutdownBudgetRule } from './shutdown-budget.js';
import { singleReplicaRule } from './single-replica.js';
import { topologySpreadRule } from './topology-spread.js';

export const lintRules: readonly LintRule[] = [
  shutdownBudgetRule,
  prestopMissingRule,
  prestopExecSleepRule,
  prestopExecMissingBinaryRule,
  shellPid1Rule,
  readinessProbeRule,
  readinessSameAsLivenessRule,
  rollingUpdateCapacityRule,
  singleReplicaRule,
  pdbRule,
  topologySpreadRule,
  livenessHairTriggerRule,
  meshDrainRule,
  prestopHookRefusedRule,
  prestopHookPortRule,
  adminProbePortRule,
  publishNotReadyAddressesRule,
  serviceTargetPortRule,
  envReferenceMissingRule,
];
