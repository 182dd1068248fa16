/**
 * The rule for the labels a client gives a volume, a network, a secret or a config: shared by
 * ContainerAgent's resources and ServiceRegistry's secrets and configs.
 */
import { reservedLabelPrefix } from "../../model/definition-rules.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";

export function checkResourceLabels(labels: Record<string, string>, field = "labels"): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (key === "") throw invalidArgument(field, "keys must not be empty");
    if (key.startsWith(reservedLabelPrefix))
      throw invalidArgument(
        `${field}[${quote(key)}]`,
        `keys starting with "${reservedLabelPrefix}" are reserved for dockhand`,
      );
    if (key.includes("\0") || value.includes("\0"))
      throw invalidArgument(`${field}[${quote(key)}]`, "must not contain NUL");
  }
  return { ...labels };
}
