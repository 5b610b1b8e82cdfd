/**
 * Ports as a container's handlers name them: a number, a numeric string, or the name of a port
 * the container declares, which the kubelet resolves to its `containerPort`. Pure.
 */
import type { ContainerView } from './workload.js';

/** The port number an httpGet or tcpSocket `port` comes to; `name` when it was a name. */
export function resolveContainerPort(
  container: ContainerView,
  port: unknown,
): { port: number | undefined; name?: string } {
  if (typeof port === 'number') return { port };
  if (typeof port !== 'string') return { port: undefined };
  if (/^\d+$/.test(port)) return { port: Number(port) };
  const declared = container.ports.find((candidate) => candidate.name === port);
  return { port: declared?.containerPort, name: port };
}

/**
 * How a fix should write `port` in `container`: the name of the container port that declares
 * it, when one does (names survive a port change in one place), else the number.
 */
export function portReference(container: ContainerView, port: number): string | number {
  return (
    container.ports.find((p) => p.containerPort === port && p.name !== undefined)?.name ?? port
  );
}

/** `port` as a message shows it: `50051`, or `50051 ('grpc')` for a named one. */
export function describePort(target: { port: number | undefined; name?: string }): string {
  if (target.port === undefined) {
    return `port '${String(target.name)}', which no port of the container declares`;
  }
  return `port ${target.port}${target.name === undefined ? '' : ` ('${target.name}')`}`;
}
