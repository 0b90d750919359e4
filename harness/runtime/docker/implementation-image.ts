import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImageSource } from '../node-spec';
import { NodeStartError } from '../node-start-error';
import { dockerError, testcontainers } from './engine';
import { imageExists } from './image';

/** Files of a build context, sorted, hashed by path and content: the image's tag changes when they do. */
function hashContext(context: string, dockerfile: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        // .git changes with every commit but is rarely part of an image; anything else may be COPYed.
        if (entry.name === '.git') continue;
        walk(full);
      } else if (entry.isFile()) {
        hash.update(path.relative(context, full)).update('\0').update(fs.readFileSync(full)).update('\0');
      }
    }
  };
  walk(context);
  hash.update(`dockerfile:${dockerfile}`);
  return hash.digest('hex').slice(0, 16);
}

const builds = new Map<string, Promise<string>>();

/**
 * The tag to run a node of a third-party implementation from. A named image must already be on the
 * engine (no registry can be reached); a build context is built through testcontainers, tagged by a
 * hash of its files, and reused while they do not change.
 */
export async function resolveImage(node: string, source: ImageSource): Promise<string> {
  if ('tag' in source) {
    if (await imageExists(source.tag)) return source.tag;
    throw new NodeStartError(node, `${node}: image ${source.tag} is not on the Docker engine (build or load it first: no registry is pulled from)`);
  }
  const { context, dockerfile = 'Dockerfile' } = source.build;
  const tag = `keelhaul-impl:${hashContext(context, dockerfile)}`;
  let build = builds.get(tag);
  if (!build) {
    build = (async () => {
      if (await imageExists(tag)) return tag;
      const { GenericContainer } = await testcontainers();
      try {
        await GenericContainer.fromDockerfile(context, dockerfile).build(tag, { deleteOnExit: false });
      } catch (error) {
        throw new NodeStartError(node, `${node}: building ${path.join(context, dockerfile)} failed: ${dockerError(error)}`);
      }
      return tag;
    })();
    builds.set(tag, build);
    build.catch(() => builds.delete(tag));
  }
  return build;
}
