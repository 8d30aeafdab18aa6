// Prometheus text exposition of the broker's metric registry, served by the gateway at
// /metrics instead of on the separate port Moleculer's reporter would open.
import { MetricReporters } from "moleculer";

type Registry = { broker: { namespace: string; nodeID: string } };

class InlinePrometheusReporter extends (MetricReporters.Prometheus as any) {
  init(registry: Registry) {
    (MetricReporters.Base as any).prototype.init.call(this, registry);
    this.defaultLabels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
  }
  stop() {
    return Promise.resolve();
  }
}

export function prometheusRenderer(registry: unknown): () => string {
  const reporter = new (InlinePrometheusReporter as any)({});
  reporter.init(registry as Registry);
  return () => reporter.generatePrometheusResponse() as string;
}

/** Buckets for HTTP latency, in seconds: 1 ms to 10 s. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
