/** Labels that mark what mcp-podman created; every container it creates carries MANAGED. */
export const LABELS = {
  managed: 'io.mcp-podman.managed',
} as const;

export const MANAGED_LABELS = { [LABELS.managed]: 'true' } as const;
