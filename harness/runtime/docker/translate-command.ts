import path from 'node:path';
import { APP_IN_IMAGE, NODE_IN_IMAGE } from './layout';

export interface TranslateOptions {
  /** The project's root on the host (the folder holding package.json and dist/). */
  projectRoot: string;
  /** The host's node binary that specs name (default: process.execPath). */
  hostNode?: string;
}

/**
 * A node spec's command line, as the container runs it: the host's node binary becomes the
 * image's (/usr/local/bin/node) and every argument that is an absolute path inside the project
 * (e.g. the compiled CLI, /work/main/dist/harness/cli/main.js) becomes the same path under /app —
 * also in `--option=/path` form. Other commands and arguments pass through unchanged (an image
 * of your own may provide them). Pure: no file system access.
 */
export function translateCommand(command: string, args: readonly string[], options: TranslateOptions): string[] {
  const hostNode = options.hostNode ?? process.execPath;
  const root = path.resolve(options.projectRoot);
  const inProject = (value: string): string | undefined => {
    if (!path.isAbsolute(value)) return undefined;
    const relative = path.relative(root, path.resolve(value));
    if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    return relative === '' ? APP_IN_IMAGE : path.posix.join(APP_IN_IMAGE, ...relative.split(path.sep));
  };
  const translateArg = (arg: string): string => {
    const whole = inProject(arg);
    if (whole) return whole;
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0) {
      const value = inProject(arg.slice(eq + 1));
      if (value) return `${arg.slice(0, eq + 1)}${value}`;
    }
    return arg;
  };
  const executable = command === hostNode || command === 'node' ? NODE_IN_IMAGE : translateArg(command);
  return [executable, ...args.map(translateArg)];
}
