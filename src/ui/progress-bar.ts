/** A text progress bar: `█████░░░░░  42%`. */
export function progressBar(done: number, total: number, width = 24): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.floor(f * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${String(Math.floor(f * 100)).padStart(3)}%`;
}
