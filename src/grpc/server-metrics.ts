import { Counter, Gauge, type Registry } from 'prom-client';
import type { MethodCounts } from './call-tracker.js';

type Sources = Map<string, ReadonlyMap<string, MethodCounts>>;

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
  new Counter({
    name: 'lameduck_grpc_calls_started_total',
    help: 'gRPC calls started, by method (health probes included).',
    labelNames: ['participant', 'method'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, counts] of sources) {
        for (const [method, { started }] of counts)
          this.inc({ participant: name, method }, started);
      }
    },
  });
  new Gauge({
    name: 'lameduck_grpc_calls_in_flight',
    help: 'gRPC calls in flight, by method.',
    labelNames: ['participant', 'method'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, counts] of sources) {
        for (const [method, { inFlight }] of counts)
          this.set({ participant: name, method }, inFlight);
      }
    },
  });
}
