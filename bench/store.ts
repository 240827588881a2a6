import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Imported first by the bench scripts, before the test helpers read it: benchmarks keep their own throwaway
// store unless one is given, because a concurrent `npm test` sweeps every container in the test store.
process.env.MCP_PODMAN_TEST_STORE ??= join(tmpdir(), 'mcp-podman-bench-store');
