import { ensureTestImage, requireEngine } from "./engine.js";

export default async function setup(): Promise<void> {
  await requireEngine();
  ensureTestImage();
}
