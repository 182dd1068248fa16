let counter = 0;
/** A service name no other test (or earlier run) uses. */
export function uniqueServiceName(prefix: string): string {
  return `t-${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Matches every name `uniqueServiceName` makes. */
export const testServiceName = /^t-[a-z0-9-]+-\d+-[0-9a-z]+-\d+$/;
