import { deniedProcedures } from "./errors.js";
import { useStore } from "./store.js";

/** Why `procedure` is refused to this user (the server's message), once it was refused. */
export function useDenied(procedure: string): string | undefined {
  return useStore(deniedProcedures).get(procedure);
}
