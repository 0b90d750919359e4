/**
 * The keelhaul node image, built locally FROM scratch (no registry is needed or reachable), in two
 * levels so that a code change rebuilds only a few megabytes:
 *
 *   keelhaul-node-base:<hash>  FROM scratch
 *     /usr/local/bin/node              the host's node binary (process.execPath)
 *     /lib..., /lib64/...              the shared libraries `ldd` lists for it and for the native
 *                                      addons in node_modules (zeromq), plus the dynamic loader
 *     /app/node_modules/               the production packages (from the npm lockfile; no dev
 *                                      packages, no @types, no .d.ts/.map, no foreign prebuilds)
 *     /etc/nsswitch.conf, /tmp, /state what glibc and node expect to find, the state mount point
 *   keelhaul-node:<hash>       FROM the base
 *     /app/package.json, /app/dist/    the built project (without dist/test)
 *
 * Each tag is a content hash (`<first 16 hex of sha256>`; the app's hash covers the base's). An
 * image whose tag exists is reused; otherwise its context is assembled in a temporary folder and
 * built through testcontainers (`GenericContainer.fromDockerfile(dir).build(tag)`). A scratch
 * image has no shell: commands are exec form only.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerode, statusCode, testcontainers } from './engine';
import { APP_IN_IMAGE, NODE_IN_IMAGE, STATE_IN_CONTAINER } from './layout';

export const IMAGE_REPOSITORY = 'keelhaul-node';
/** The base level's repository is the app's plus this suffix: keelhaul-node-base. */
export const BASE_SUFFIX = '-base';
/** `base` or `app`: which level of the node image. */
export const LABEL_IMAGE = 'keelhaul.image';
export const LABEL_CONTEXT = 'keelhaul.context-sha256';

/** The project root, seen from dist/harness/runtime/docker/. */
export const DEFAULT_PROJECT_ROOT = path.resolve(__dirname, '../../../..');

export interface ImageOptions {
  /** Folder holding package.json, dist/ and node_modules/ (default: this project). */
  projectRoot?: string;
  /** The node binary to put in the image (default: process.execPath). */
  nodeBinary?: string;
  /** Image repository of the app image (default keelhaul-node; the base is `<repository>-base`). */
  repository?: string;
}

/** One file of an image: copied from `source` or written from `content`. */
export interface ContextEntry {
  /** Absolute path inside the image. */
  target: string;
  source?: string;
  content?: string;
  mode: number;
}

/** One level's build context: files, empty folders and the Dockerfile (without its labels). */
export interface ImagePlan {
  level: 'base' | 'app';
  projectRoot: string;
  entries: ContextEntry[];
  directories: { target: string; mode: number }[];
  /** Dockerfile lines after FROM. */
  instructions: string[];
}

export interface BuiltLevel {
  tag: string;
  sha256: string;
  reused: boolean;
  /** Build time in ms (0 when reused). */
  buildMs: number;
  files: number;
  /** Sum of the file sizes in the context. */
  bytes: number;
}

export interface NodeImage {
  /** The tag to run: `keelhaul-node:<hash>`. */
  tag: string;
  sha256: string;
  /** True if the app image existed and was used as is (nothing built). */
  reused: boolean;
  /** Total time of this call (plan, hash, and whatever had to be built), in ms. */
  ms: number;
  base: BuiltLevel;
  app: BuiltLevel;
}

// --- planning ---------------------------------------------------------------------------------

const NSSWITCH = 'passwd: files\ngroup: files\nhosts: files dns\n';

const BASE_INSTRUCTIONS = ['COPY rootfs/ /', 'ENV PATH=/usr/local/bin NODE_ENV=production', `WORKDIR ${APP_IN_IMAGE}`];
const APP_INSTRUCTIONS = ['COPY rootfs/ /', `CMD ["${NODE_IN_IMAGE}", "${APP_IN_IMAGE}/dist/harness/cli/main.js", "--help"]`];

/** Libraries `ldd` lists for an ELF file, at the paths the loader finds them. Unresolved ones are skipped. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)\s+\(0x/.exec(line);
    if (arrow) {
      libs.push(arrow[1]!);
      continue;
    }
    const loader = /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (loader) libs.push(loader[1]!);
  }
  return libs;
}

function ldd(file: string): string[] {
  let output: string;
  try {
    output = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // A static binary, or an addon for a newer libc than this one (never loaded here): ldd fails
    // but still lists what it could resolve.
    output = String((error as { stdout?: string }).stdout ?? '');
  }
  return parseLdd(output);
}

/** A prebuilt addon folder for another platform or architecture (e.g. zeromq/build/darwin/...). */
export function isForeignPrebuild(relative: string, platform: string = process.platform, arch: string = process.arch): boolean {
  const match = /(?:^|\/)(?:build|prebuilds)\/(darwin|win32|linux|freebsd|openbsd|android|sunos|aix)(?:[-/]([^/]+))?/.exec(relative);
  if (!match) return false;
  return match[1] !== platform || (match[2] !== undefined && match[2] !== arch);
}

/** Files a node never loads: type declarations and source maps of dependencies. */
function isDeclarationOrMap(file: string): boolean {
  return /\.d\.[cm]?ts$/.test(file) || file.endsWith('.map');
}

function walk(dir: string, visit: (file: string, relative: string) => void, skip: (relative: string, isDir: boolean) => boolean, base = dir): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const relative = path.relative(base, full).split(path.sep).join('/');
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const stat = fs.statSync(full);
        isDir = stat.isDirectory();
        isFile = stat.isFile();
      } catch {
        continue; // dangling link
      }
    }
    if (skip(relative, isDir)) continue;
    if (isDir) walk(full, visit, skip, base);
    else if (isFile) visit(full, relative);
  }
}

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o111 ? 0o755 : 0o644;
}

/** Installed production packages, as paths relative to the project root (node_modules/...). */
function productionPackages(root: string): string[] {
  const lockfiles = [path.join(root, 'node_modules', '.package-lock.json'), path.join(root, 'package-lock.json')];
  const lockfile = lockfiles.find((file) => fs.existsSync(file));
  if (!lockfile) throw new Error(`no npm lockfile in ${root} (looked for ${lockfiles.join(', ')}); run npm install`);
  const packages = (JSON.parse(fs.readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { dev?: boolean; link?: boolean }> }).packages ?? {};
  return Object.entries(packages)
    .filter(([key, meta]) => key.startsWith('node_modules/') && !meta.dev && !meta.link)
    .map(([key]) => key)
    .filter((key) => !/(^|\/)node_modules\/@types\//.test(key))
    .filter((key) => fs.existsSync(path.join(root, key)))
    .sort();
}

class Entries {
  private readonly map = new Map<string, ContextEntry>();
  addFile(target: string, source: string): void {
    if (!this.map.has(target)) this.map.set(target, { target, source, mode: modeOf(source) });
  }
  addContent(target: string, content: string, mode = 0o644): void {
    this.map.set(target, { target, content, mode });
  }
  sorted(): ContextEntry[] {
    return [...this.map.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }
}

function checkProject(root: string): void {
  for (const required of ['package.json', 'dist/harness/cli/main.js', 'node_modules']) {
    if (!fs.existsSync(path.join(root, required))) {
      throw new Error(`${path.join(root, required)} is missing: install the packages and build the project (npx tsc -p tsconfig.json) first`);
    }
  }
}

/** The base level: node, its libraries and the production packages. Reads files and runs ldd; writes nothing. */
export function planBaseImage(options: ImageOptions = {}): ImagePlan {
  const root = path.resolve(options.projectRoot ?? DEFAULT_PROJECT_ROOT);
  checkProject(root);
  const nodeBinary = fs.realpathSync(options.nodeBinary ?? process.execPath);
  const entries = new Entries();
  entries.addFile(NODE_IN_IMAGE, nodeBinary);
  const addons: string[] = [];
  for (const pkg of productionPackages(root)) {
    walk(
      path.join(root, pkg),
      (file, relative) => {
        entries.addFile(`${APP_IN_IMAGE}/${pkg}/${relative}`, file);
        if (file.endsWith('.node')) addons.push(file);
      },
      // Nested node_modules are packages of their own in the lockfile; .bin holds only links.
      (relative, isDir) =>
        (isDir && (relative === 'node_modules' || relative === '.bin')) || isForeignPrebuild(relative) || (!isDir && isDeclarationOrMap(relative)),
    );
  }
  for (const elf of [nodeBinary, ...addons]) {
    for (const lib of ldd(elf)) entries.addFile(lib, fs.realpathSync(lib));
  }
  entries.addContent('/etc/nsswitch.conf', NSSWITCH);
  return {
    level: 'base',
    projectRoot: root,
    entries: entries.sorted(),
    directories: [
      { target: '/tmp', mode: 0o1777 },
      { target: STATE_IN_CONTAINER, mode: 0o755 },
    ],
    instructions: BASE_INSTRUCTIONS,
  };
}

/** The app level: package.json and dist/ (without dist/test, whose changes need no new image). */
export function planAppImage(options: ImageOptions = {}): ImagePlan {
  const root = path.resolve(options.projectRoot ?? DEFAULT_PROJECT_ROOT);
  checkProject(root);
  const entries = new Entries();
  entries.addFile(`${APP_IN_IMAGE}/package.json`, path.join(root, 'package.json'));
  walk(
    path.join(root, 'dist'),
    (file, relative) => entries.addFile(`${APP_IN_IMAGE}/dist/${relative}`, file),
    (relative) => relative === 'test',
  );
  return { level: 'app', projectRoot: root, entries: entries.sorted(), directories: [], instructions: APP_INSTRUCTIONS };
}

// --- hashing ----------------------------------------------------------------------------------

/**
 * File digests, cached by path and what stat says about the file (size, mtime in ns, inode) — in
 * this process, and across processes in node_modules/.cache/keelhaul/image-digests.json — so that
 * checking whether the image is current stats files instead of reading 160 MB. Like make, this
 * trusts mtime; delete the cache file to force a full re-read.
 */
type DigestCache = Map<string, { key: string; digest: string }>;
const caches = new Map<string, { file: string; entries: DigestCache; dirty: boolean }>();

function digestCache(root: string): { file: string; entries: DigestCache; dirty: boolean } {
  let cache = caches.get(root);
  if (!cache) {
    const file = path.join(root, 'node_modules', '.cache', 'keelhaul', 'image-digests.json');
    const entries: DigestCache = new Map();
    try {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, [string, string]>;
      for (const [source, [key, digest]] of Object.entries(saved)) entries.set(source, { key, digest });
    } catch {
      // no cache yet, or unreadable: start empty
    }
    cache = { file, entries, dirty: false };
    caches.set(root, cache);
  }
  return cache;
}

function saveDigestCache(root: string): void {
  const cache = caches.get(root);
  if (!cache?.dirty) return;
  try {
    fs.mkdirSync(path.dirname(cache.file), { recursive: true });
    const tmp = `${cache.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries([...cache.entries].map(([source, e]) => [source, [e.key, e.digest]]))));
    fs.renameSync(tmp, cache.file);
    cache.dirty = false;
  } catch {
    // a read-only project still works, only slower
  }
}

function fileDigest(cache: { entries: DigestCache; dirty: boolean }, file: string): { digest: string; size: number } {
  const stat = fs.statSync(file, { bigint: true });
  const key = `${stat.size}:${stat.mtimeNs}:${stat.ino}`;
  const cached = cache.entries.get(file);
  if (cached && cached.key === key) return { digest: cached.digest, size: Number(stat.size) };
  const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  cache.entries.set(file, { key, digest });
  cache.dirty = true;
  return { digest, size: Number(stat.size) };
}

/** The content hash of a plan (every target path, mode and content, and the instructions) on top of `from`. */
export function hashPlan(plan: ImagePlan, from: string): { sha256: string; bytes: number } {
  const cache = digestCache(plan.projectRoot);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  hash.update(`level ${plan.level}\nfrom ${from}\n${plan.instructions.join('\n')}\n`);
  for (const dir of plan.directories) hash.update(`dir ${dir.target} ${dir.mode.toString(8)}\n`);
  for (const entry of plan.entries) {
    let digest: string;
    if (entry.source) {
      const file = fileDigest(cache, entry.source);
      digest = file.digest;
      bytes += file.size;
    } else {
      digest = crypto.createHash('sha256').update(entry.content ?? '').digest('hex');
      bytes += Buffer.byteLength(entry.content ?? '');
    }
    hash.update(`file ${entry.target} ${entry.mode.toString(8)} ${digest}\n`);
  }
  saveDigestCache(plan.projectRoot);
  return { sha256: hash.digest('hex'), bytes };
}

// --- building ---------------------------------------------------------------------------------

/** Links the file into the context when it already has the wanted mode (no copy), copies it otherwise. */
function placeFile(source: string, target: string, mode: number): void {
  if ((fs.statSync(source).mode & 0o7777) === mode) {
    try {
      fs.linkSync(source, target);
      return;
    } catch {
      // another file system, or links not allowed: copy
    }
  }
  fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
  fs.chmodSync(target, mode);
}

/** Writes a build context (Dockerfile + rootfs/) into `dir`. */
export function writeContext(plan: ImagePlan, from: string, sha256: string, dir: string): void {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  for (const d of plan.directories) {
    const target = path.join(rootfs, d.target);
    fs.mkdirSync(target, { recursive: true });
    fs.chmodSync(target, d.mode);
  }
  for (const entry of plan.entries) {
    const target = path.join(rootfs, entry.target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (entry.source) placeFile(entry.source, target, entry.mode);
    else {
      fs.writeFileSync(target, entry.content ?? '');
      fs.chmodSync(target, entry.mode);
    }
  }
  const dockerfile = [
    '# Generated by harness/runtime/docker/image.ts (docs/docker.md).',
    `FROM ${from}`,
    ...plan.instructions,
    `LABEL ${LABEL_IMAGE}="${plan.level}" ${LABEL_CONTEXT}="${sha256}"`,
  ];
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
}

/** True when the engine has an image with this tag. */
export async function imageExists(tag: string): Promise<boolean> {
  const docker = await dockerode();
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if (statusCode(error) === 404) return false;
    throw error;
  }
}

const inFlight = new Map<string, Promise<BuiltLevel>>();

interface Level {
  plan: ImagePlan;
  from: string;
  tag: string;
  sha256: string;
  bytes: number;
}

function level(plan: ImagePlan, from: string, repository: string): Level {
  const { sha256, bytes } = hashPlan(plan, from);
  return { plan, from, tag: `${repository}:${sha256.slice(0, 16)}`, sha256, bytes };
}

function summary(l: Level, reused: boolean, buildMs: number): BuiltLevel {
  return { tag: l.tag, sha256: l.sha256, reused, buildMs, files: l.plan.entries.length, bytes: l.bytes };
}

/** Builds a level unless its tag exists. Concurrent calls in one process share one build. */
async function ensureLevel(l: Level): Promise<BuiltLevel> {
  if (await imageExists(l.tag)) return summary(l, true, 0);
  let build = inFlight.get(l.tag);
  if (!build) {
    build = (async () => {
      const started = performance.now();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keelhaul-${l.plan.level}-`));
      try {
        writeContext(l.plan, l.from, l.sha256, dir);
        const { GenericContainer } = await testcontainers();
        // Not deleteOnExit: the image is a cache shared by runs (and there is no Ryuk to delete it).
        await GenericContainer.fromDockerfile(dir).build(l.tag, { deleteOnExit: false });
        return summary(l, false, Math.round(performance.now() - started));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        inFlight.delete(l.tag);
      }
    })();
    inFlight.set(l.tag, build);
  }
  return build;
}

/**
 * The node image for this project as it is on disk now: reused if an image with its content hash
 * exists, built otherwise (the base level only when node, its libraries or the packages changed).
 * Hashing reads every file once per process (about 160 MB); later calls only stat them.
 */
export async function ensureNodeImage(options: ImageOptions = {}): Promise<NodeImage> {
  const started = performance.now();
  const repository = options.repository ?? IMAGE_REPOSITORY;
  const baseLevel = level(planBaseImage(options), 'scratch', `${repository}${BASE_SUFFIX}`);
  const appLevel = level(planAppImage(options), baseLevel.tag, repository);
  let base: BuiltLevel;
  let app: BuiltLevel;
  if (await imageExists(appLevel.tag)) {
    base = summary(baseLevel, true, 0);
    app = summary(appLevel, true, 0);
  } else {
    base = await ensureLevel(baseLevel);
    app = await ensureLevel(appLevel);
  }
  return { tag: app.tag, sha256: app.sha256, reused: app.reused, ms: Math.round(performance.now() - started), base, app };
}

export interface StaleImageOptions {
  /**
   * Only images that also carry this label (`key` or `key=value`): a test passes a label unique to
   * itself, so it removes only images it made, never another run's.
   */
  label?: string;
  /**
   * Only images created at least this long ago (default 1 hour): another run on this machine may
   * have just built the image it is about to start containers from, and an image no container uses
   * yet is not protected by the engine.
   */
  olderThanMs?: number;
}

/** Images younger than this are another run's until proven otherwise. */
export const STALE_IMAGE_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * Removes node images (both levels, found by their `keelhaul.image` label) other than `keep`'s —
 * every code change makes a new app image, so they pile up. Images a container still uses are
 * left alone (not forced), and so are images younger than `olderThanMs`. Returns the removed tags.
 */
export async function removeStaleNodeImages(keep: NodeImage, options: StaleImageOptions = {}): Promise<string[]> {
  const docker = await dockerode();
  const wanted = new Set([keep.tag, keep.base.tag]);
  const removed: string[] = [];
  const label = [LABEL_IMAGE, ...(options.label ? [options.label] : [])];
  const createdBefore = (Date.now() - (options.olderThanMs ?? STALE_IMAGE_MIN_AGE_MS)) / 1000;
  const images = await docker.listImages({ filters: { label } });
  // Apps first: a base cannot go while an app image is built on it.
  images.sort((a, b) => Number(b.Labels?.[LABEL_IMAGE] === 'app') - Number(a.Labels?.[LABEL_IMAGE] === 'app'));
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    if (tags.some((tag) => wanted.has(tag))) continue;
    if (image.Created > createdBefore) continue;
    try {
      await docker.getImage(image.Id).remove({ noprune: false });
      removed.push(...(tags.length ? tags : [image.Id]));
    } catch (error) {
      // in use by a container, or a parent of a kept image: leave it
      if (statusCode(error) !== 409 && statusCode(error) !== 404) throw error;
    }
  }
  return removed;
}
