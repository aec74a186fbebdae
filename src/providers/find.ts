import { isRecord, text } from "../lib/json";

/**
 * The object whose `id` equals `id`, searched breadth-first up to three levels below `root`:
 * refetched case states list their services, checks or verification requests in nested arrays.
 */
export function findById(root: unknown, id: string): Record<string, unknown> | null {
  if (!isRecord(root)) return null;
  const queue: unknown[] = [root];
  for (let depth = 0; depth < 3 && queue.length; depth++) {
    const next: unknown[] = [];
    for (const node of queue) {
      const children = Array.isArray(node) ? node : isRecord(node) ? Object.values(node) : [];
      for (const child of children) {
        if (isRecord(child) && text(child.id) === id) return child;
        if (typeof child === "object" && child !== null) next.push(child);
      }
    }
    queue.splice(0, queue.length, ...next);
  }
  return null;
}
