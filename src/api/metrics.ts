import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one mcp-podman process. Names are prefixed mcp_podman_. */
export class Metrics {
  readonly registry = new Registry();
  readonly startedAt = Date.now();
  readonly requests = new Counter({
    name: 'mcp_podman_requests_total',
    help: 'MCP requests handled, by method',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'mcp_podman_errors_total',
    help: 'Failed MCP requests and tool calls, by method, tool and error code',
    labelNames: ['method', 'tool', 'code'],
    registers: [this.registry],
  });
  readonly toolCalls = new Counter({
    name: 'mcp_podman_tool_calls_total',
    help: 'Tool calls, by tool and outcome',
    labelNames: ['tool', 'outcome'],
    registers: [this.registry],
  });
  readonly toolDuration = new Histogram({
    name: 'mcp_podman_tool_call_duration_seconds',
    help: 'Tool call duration in seconds, by tool',
    labelNames: ['tool'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly activeSessions = new Gauge({
    name: 'mcp_podman_active_sessions',
    help: 'Open MCP sessions, by transport',
    labelNames: ['transport'],
    registers: [this.registry],
  });
  readonly registeredTools = new Gauge({
    name: 'mcp_podman_registered_tools',
    help: 'Tools currently listed',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcp_podman_' });
  }

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  async total(metric: Counter | Gauge): Promise<number> {
    const got = await metric.get();
    return got.values.reduce((sum, v) => sum + v.value, 0);
  }
}
