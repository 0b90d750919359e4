/** Polls `condition` until it holds; rejects naming `what` after `timeoutMs`. Nothing waits forever. */
export async function waitFor(
  condition: () => boolean,
  { timeoutMs, what, intervalMs = 5 }: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Rejects with a message naming `what` if `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `count()` has not changed for `quietMs`, or after `boundMs` whichever is first (it
 * never rejects: what settles late is judged as it stands). For counts that grow for a while after
 * their cause, e.g. deliveries a resumed server still owes.
 */
export async function settled(count: () => number, { quietMs, boundMs, intervalMs = 20 }: { quietMs: number; boundMs: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + boundMs;
  let last = count();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** Whether `condition` comes to hold within `timeoutMs` (polled); for checks that judge a timeout themselves. */
export async function holdsWithin(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  return waitFor(condition, { timeoutMs, what: 'a condition' }).then(
    () => true,
    () => false,
  );
}
