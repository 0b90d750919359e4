import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ProxyCollection } from './proxy-collection';
import { decodePopulate } from './request-bodies';

/**
 * Applies a config file (`-config FILE`: a JSON array in the `/populate` format) before the API
 * listens. As in the real server, a file that cannot be read or applied is logged and ignored: the
 * server still starts, with whatever proxies were created before the failure.
 */
export async function populateFromConfigFile(file: string, collection: ProxyCollection, logger: Logger): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    logger.error({ config: file, err: (error as Error).message }, 'Error reading config file');
    return;
  }
  try {
    const { proxies, error } = await collection.populate(decodePopulate(text));
    if (error) throw error;
    logger.info({ config: file, proxies: proxies.length }, 'Populated proxies from file');
  } catch (error) {
    logger.error({ config: file, err: (error as Error).message }, 'Failed to populate proxies from file');
  }
}
