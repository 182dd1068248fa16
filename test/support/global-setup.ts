import { execFileSync } from "node:child_process";
import { ensureTestImage, requireEngine } from "./engine.js";

export default async function setup(): Promise<void> {
  await requireEngine();
  ensureTestImage();
  // The pull/push tests need a registry on 127.0.0.1:5000; this starts one unless it answers.
  execFileSync("bash", ["scripts/start-registry.sh"], { stdio: "inherit" });
}
