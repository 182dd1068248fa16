/** The name of the canary that shadows a slot during a canary phase: `<service>-<slot>-canary`. */
export function canaryName(service: string, slot: number): string {
  return `${service}-${slot}-canary`;
}

/** Whether a container of `service` in `slot` is that slot's canary (by its name, which promotion changes). */
export function isCanary(container: { name: string }, service: string, slot: number): boolean {
  return container.name === canaryName(service, slot);
}
