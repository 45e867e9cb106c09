/** A run id that sorts by time: `20260207_120000_1a2b3c4d` (UTC). */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
  return `${stamp}_${crypto.randomUUID().slice(0, 8)}`;
}
