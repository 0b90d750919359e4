import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import { freePort } from '../../harness/runtime/ports';

/** What each test of a suite gets from `endpointAndDirPerTest`. */
export interface EndpointAndDir {
  /** A tcp://127.0.0.1 endpoint on a port that was free when the test began. */
  readonly endpoint: string;
  /** A fresh temporary folder (journals, positions files). */
  readonly dir: string;
}

/**
 * For each test of the enclosing suite: a free endpoint and a fresh folder named after `prefix`.
 * After each test `release` closes what the test started, then the folder is removed.
 */
export function endpointAndDirPerTest(prefix: string, release: () => Promise<void>): EndpointAndDir {
  let current: EndpointAndDir | undefined;
  beforeEach(async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    current = { endpoint, dir: await mkdtemp(path.join(tmpdir(), prefix)) };
  });
  afterEach(async () => {
    await release();
    if (current) await rm(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  const now = (): EndpointAndDir => {
    if (!current) throw new Error('endpoint and dir exist only while a test runs');
    return current;
  };
  return {
    get endpoint() {
      return now().endpoint;
    },
    get dir() {
      return now().dir;
    },
  };
}
