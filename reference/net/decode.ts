import type { Frame } from './router-server';

/** What a codec throws for a malformed message: an error with the reason to log. */
export interface MalformedMessageError extends Error {
  readonly reason: string;
}

/**
 * Decodes a received message. A malformed one (`decode` throws an instance of `malformed`) is the
 * sender's fault, not the receiver's: it goes to `onMalformed` (count it, log it, answer it) and is
 * dropped, so the result is undefined. Any other error is a bug in the receiver and propagates.
 */
export function decodeOrDrop<T, E extends MalformedMessageError>(
  frames: Frame[],
  decode: (frames: Frame[]) => T,
  malformed: abstract new (...args: never[]) => E,
  onMalformed: (error: E) => void,
): T | undefined {
  try {
    return decode(frames);
  } catch (error) {
    if (!(error instanceof malformed)) throw error;
    onMalformed(error);
    return undefined;
  }
}
