import { secretCalls, StoredValuesView } from "./stored-values-view.js";

/** Secrets: their values are write-only, so the page never holds one after sending it. */
export function SecretsView() {
  return <StoredValuesView calls={secretCalls} />;
}
