/**
 * Start order from depends_on: a depth-first topological sort that names the services of a cycle
 * ("a -> b -> a") and every dependency on a service the file does not define.
 */
export function startOrder(dependsOn: Record<string, string[]>): { order: string[]; problems: string[] } {
  const problems: string[] = [];
  for (const [service, deps] of Object.entries(dependsOn)) {
    for (const dep of deps) {
      if (!Object.hasOwn(dependsOn, dep)) {
        problems.push(`services.${service}.depends_on names unknown service "${dep}"`);
      }
    }
  }

  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (service: string): boolean => {
    if (state.get(service) === 'done') return true;
    if (state.get(service) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(service)), service];
      problems.push(`depends_on has a cycle: ${cycle.join(' -> ')}`);
      return false;
    }
    state.set(service, 'visiting');
    stack.push(service);
    for (const dep of dependsOn[service] ?? []) {
      if (Object.hasOwn(dependsOn, dep) && !visit(dep)) return false;
    }
    stack.pop();
    state.set(service, 'done');
    order.push(service);
    return true;
  };
  for (const service of Object.keys(dependsOn)) if (!visit(service)) break;
  return { order: problems.length ? [] : order, problems };
}
