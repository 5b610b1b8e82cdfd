import { Counter, Gauge, type Registry } from 'prom-client';
import type { MethodCounts } from './call-tracker.js';

type Sources = Map<string, ReadonlyMap<string, MethodCounts>>;
type Labels = { participant: string; method: string };

// One set of metrics per registry, read from every gRPC participant registered on it when
// scraped: nothing is done per call.
const sourcesByRegistry = new WeakMap<Registry, Sources>();

/**
 * Registers `lameduck_grpc_calls_started_total` and `lameduck_grpc_calls_in_flight`, labelled by
 * participant and method, on `registry`, reading `methods` of participant `participant`.
 */
export function registerGrpcMetrics(
  registry: Registry,
  participant: string,
  methods: ReadonlyMap<string, MethodCounts>,
): void {
  const existing = sourcesByRegistry.get(registry);
  if (existing !== undefined) {
    existing.set(participant, methods);
    return;
  }
  const sources: Sources = new Map([[participant, methods]]);
  sourcesByRegistry.set(registry, sources);
  const eachMethod = (record: (labels: Labels, counts: MethodCounts) => void): void => {
    for (const [participantName, counts] of sources) {
      for (const [method, methodCounts] of counts) {
        record({ participant: participantName, method }, methodCounts);
      }
    }
  };
  new Counter({
    name: 'lameduck_grpc_calls_started_total',
    help: 'gRPC calls started, by method (health probes included).',
    labelNames: ['participant', 'method'],
    registers: [registry],
    collect() {
      this.reset();
      eachMethod((labels, { started }) => this.inc(labels, started));
    },
  });
  new Gauge({
    name: 'lameduck_grpc_calls_in_flight',
    help: 'gRPC calls in flight, by method.',
    labelNames: ['participant', 'method'],
    registers: [registry],
    collect() {
      this.reset();
      eachMethod((labels, { inFlight }) => this.set(labels, inFlight));
    },
  });
}
