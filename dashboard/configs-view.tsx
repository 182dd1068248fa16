import { configCalls, StoredValuesView } from "./stored-values-view.js";

/** Configs: like secrets, but a value can be read back. */
export function ConfigsView() {
  return <StoredValuesView calls={configCalls} />;
}
