import { lintManifests } from '../../src/k8s/lint.js';
import type { Finding, LintRule } from '../../src/k8s/lint-rule.js';
import { type LoadedManifest, loadManifest } from '../../src/k8s/manifest-loader.js';

/** Lints YAML texts (file name → text) with `rules`; returns the findings and the manifests. */
export function lintTexts(
  files: Readonly<Record<string, string>>,
  rules: readonly LintRule[],
  k8sVersion: readonly [number, number] = [1, 35],
): { findings: Finding[]; manifests: LoadedManifest[] } {
  const manifests = Object.entries(files).map(([file, text]) => loadManifest(file, text));
  const { findings } = lintManifests(manifests, {
    rules,
    disabled: new Set(),
    settings: { k8sVersion },
  });
  return { findings, manifests };
}

/** Applies every finding's fix and returns each file's new text. */
export function applyFixes(
  findings: readonly Finding[],
  manifests: readonly LoadedManifest[],
): Record<string, string> {
  for (const finding of findings) finding.fix?.apply();
  return Object.fromEntries(
    manifests.map((manifest) => [
      manifest.file,
      manifest.documents.map((d) => d.toString()).join(''),
    ]),
  );
}

/**
 * A Deployment behind a Service, written so every rule passes; tests break one thing at a time
 * with `replace`.
 */
export const cleanLameduckManifest = `# a lameduck gRPC service, deployed the recommended way
apiVersion: apps/v1
kind: Deployment
metadata:
  name: passport
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      app: passport
  template:
    metadata:
      labels:
        app: passport
    spec:
      terminationGracePeriodSeconds: 45
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels:
              app: passport
      containers:
        - name: passport
          image: registry.example.com/passport:1.4.2
          ports:
            - containerPort: 50051
            - containerPort: 9901
          env:
            - name: LAMEDUCK_GRACE_PERIOD_SECONDS
              value: "45"
            - name: HOST_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.hostIP
          lifecycle:
            preStop:
              httpGet:
                path: /lameduck/prestop
                port: 9901
          readinessProbe:
            httpGet:
              path: /readyz
              port: 9901
            periodSeconds: 2
            failureThreshold: 1
          livenessProbe:
            httpGet:
              path: /livez
              port: 9901
            periodSeconds: 10
            failureThreshold: 3
---
apiVersion: v1
kind: Service
metadata:
  name: passport
spec:
  selector:
    app: passport
  ports:
    - port: 50051
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: passport
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: passport
`;
