/** Limits count in UTC-minute windows: a test that needs one whole minute starts with enough of it left. */
export async function awayFromMinuteEnd(marginMs = 8000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await Bun.sleep(left + 50);
}
