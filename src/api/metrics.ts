import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ContainerSample {
  service: string;
  replica: string;
  cpuPercent: number;
  memoryBytes: number;
}

export interface MetricSources {
  mounts?: () => number;
  containerStats?: () => Promise<ContainerSample[]>;
}

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

  readonly mountCalls = new Counter({
    name: 'mcp_podman_mount_calls_total',
    help: 'Calls to a mounted MCP server or an MCP service, by mount and outcome',
    labelNames: ['mount', 'outcome'],
    registers: [this.registry],
  });
  readonly mountDuration = new Histogram({
    name: 'mcp_podman_mount_call_duration_seconds',
    help: 'Duration of calls to a mounted MCP server or an MCP service, by mount',
    labelNames: ['mount'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly containerRestarts = new Counter({
    name: 'mcp_podman_service_container_restarts_total',
    help: 'Service replicas restarted because their health check failed, by service',
    labelNames: ['service'],
    registers: [this.registry],
  });
  /** Read at scrape time from the sources set with observe(). */
  private sources: MetricSources = {};
  readonly activeMounts = new Gauge({
    name: 'mcp_podman_active_mounts',
    help: 'Gateway mounts currently present',
    registers: [this.registry],
    collect: () => {
      this.activeMounts.set(this.sources.mounts?.() ?? 0);
    },
  });
  readonly containerCpu: Gauge<'service' | 'replica'> = new Gauge({
    name: 'mcp_podman_service_container_cpu_percent',
    help: 'CPU use of a service replica in percent, sampled at scrape time',
    labelNames: ['service', 'replica'],
    registers: [this.registry],
    collect: () => this.fill(this.containerCpu, (s) => s.cpuPercent),
  });
  readonly containerMemory: Gauge<'service' | 'replica'> = new Gauge({
    name: 'mcp_podman_service_container_memory_bytes',
    help: 'Memory use of a service replica in bytes, sampled at scrape time',
    labelNames: ['service', 'replica'],
    registers: [this.registry],
    collect: () => this.fill(this.containerMemory, (s) => s.memoryBytes),
  });
  private sampled?: { at: number; samples: Promise<ContainerSample[]> };

  /**
   * The registry collects every metric at once, so both container gauges share one stats request
   * per scrape; a replica that went away drops out.
   */
  private async fill(
    gauge: Gauge<'service' | 'replica'>,
    value: (s: ContainerSample) => number,
  ): Promise<void> {
    const now = Date.now();
    if (!this.sampled || now - this.sampled.at > 1000) {
      this.sampled = {
        at: now,
        samples: this.sources.containerStats?.().catch(() => []) ?? Promise.resolve([]),
      };
    }
    const samples = await this.sampled.samples;
    gauge.reset();
    for (const s of samples) gauge.set({ service: s.service, replica: s.replica }, value(s));
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcp_podman_' });
  }

  observe(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  async total(metric: Counter | Gauge): Promise<number> {
    const got = await metric.get();
    return got.values.reduce((sum, v) => sum + v.value, 0);
  }
}
