/*
 * keelhaul's power-loss ledger: an LD_PRELOAD library that records, for the files under one node's
 * state folder, what the node wrote and what it made durable, so that the harness can destroy, after
 * a SIGKILL, exactly what a power cut would have destroyed (docs/power-loss.md).
 *
 * A SIGKILL loses nothing written: the page cache survives the process. Only the kernel knows which
 * dirty pages reached the disk, and it does not say; so this library watches the calls that promise
 * durability (fsync, fdatasync, sync_file_range with WAIT_AFTER, sync, syncfs, writes to descriptors
 * opened O_SYNC or O_DSYNC, a directory's fsync for the names created or renamed in it) and appends
 * one line per event to a ledger file. The harness replays the ledger (harness/nemesis/power-loss/
 * ledger.ts); this library decides nothing.
 *
 * KEELHAUL_UNSYNCED_DIR  the state folder: only files and directories under it are recorded.
 * KEELHAUL_UNSYNCED_LEDGER  the ledger file, appended to (O_APPEND, one write per line, so lines from
 *   several threads and processes never interleave, and every line written is in the page cache and
 *   survives the process's SIGKILL).
 * KEELHAUL_UNSYNCED_BACKUPS  optional: a folder on the same mount as the state folder. A rename over
 *   an existing file first hard-links that file here (no copy), so that undoing the rename can bring
 *   the replaced file back, as a power cut before the folder's fsync would.
 *
 * Ledger lines, tab-separated, paths absolute with bytes below 0x21, '%' and 0x7f as %XX:
 *   O path size         an existing file opened: its size then (taken as durable)
 *   C path              a file this open created
 *   W path offset length synced   a write; synced 1 when the descriptor was opened O_SYNC/O_DSYNC
 *   S path size         the file's data made durable up to size (fsync, fdatasync, sync_file_range)
 *   D dir               a directory fsynced: names created or renamed in it are durable
 *   T path length       truncated to length
 *   R old new backup    renamed; backup is the hard link kept of the file it replaced, or -
 *   U path              unlinked
 *   A                   sync() or syncfs(): everything durable
 *   E path              a sync of this file failed (EIO): what was not durable then never will be
 *
 * Disk faults (docs/disk-faults.md): KEELHAUL_DISK_CONTROL names a small file the harness created,
 * mapped once (MAP_SHARED) at start, so the harness flips a fault on and off while the node runs,
 * without restarting it, and reads back how many calls the library failed. Its layout
 * (harness/nemesis/power-loss/disk-control.ts reads and writes it; little-endian):
 *   uint32 mode at 0        0 none, 1 disk-full, 2 fsync-fails, 3 read-only
 *   uint32 short at 4       disk-full: writes that may still land in part before ENOSPC (decremented)
 *   uint64 at 8, 16, ...    counters: attached processes, failed calls, of which writes, syncs,
 *                           opens, metadata (rename, unlink, mkdir, truncate), and short writes
 * Only calls on files and folders under the state folder are failed:
 *   disk-full    write/pwrite/writev/... ENOSPC (after a short write while `short` lasts); an open that
 *                would create a file, mkdir: ENOSPC
 *   fsync-fails  fsync/fdatasync/sync_file_range EIO; a write through an O_DSYNC/O_SYNC descriptor (or
 *                RWF_DSYNC) is done and then fails EIO, since that is where its sync error surfaces:
 *                its bytes are in the page cache, not durable (the ledger says so, and 'E')
 *   read-only    opens for writing, writes, truncates, renames, unlinks, mkdir: EROFS
 *
 * Not seen: writes through mmap, io_uring, or a statically linked program (Go) that makes its own
 * system calls; descriptors duplicated with dup/dup2/fcntl.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536

struct tracked {
  char *path;
  unsigned char synced_writes;
  unsigned char directory;
};

static struct tracked fds[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];
static size_t root_len;
static int ledger = -1;
static int ready;
static char backups[PATH_MAX];
static unsigned long backup_seq;

/**
 * Backups this process made whose rename is not durable yet, by the folder the rename went into: the
 * folder's fsync makes them useless, and they are unlinked then, so a node that renames a file
 * over another at every step (a positions file) does not pile up links. Past the table's size a
 * backup waits for the harness, which removes them all at the cut.
 */
#define MAX_PENDING 256
static struct pending_backup {
  char *dir;
  char *backup;
} pending[MAX_PENDING];

enum disk_mode { DISK_OK = 0, DISK_FULL = 1, DISK_FSYNC_FAILS = 2, DISK_READ_ONLY = 3 };
enum disk_counter { C_ATTACHED = 0, C_FAILED, C_WRITES, C_SYNCS, C_OPENS, C_METADATA, C_SHORT, C_COUNT };

struct disk_control {
  uint32_t mode;
  uint32_t short_writes;
  uint64_t counters[C_COUNT];
};

/** The harness's switch, shared with it; NULL when the node runs without one (no disk fault possible). */
static struct disk_control *control;

static uint32_t disk_mode(void) { return control ? __atomic_load_n(&control->mode, __ATOMIC_ACQUIRE) : DISK_OK; }

static void count_failure(enum disk_counter kind) {
  __atomic_add_fetch(&control->counters[C_FAILED], 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&control->counters[kind], 1, __ATOMIC_RELAXED);
}

/** Fails the call: counted, errno set, -1 for the caller to return. */
static int refuse(enum disk_counter kind, int error) {
  count_failure(kind);
  errno = error;
  return -1;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*pwritev64_fn)(int, const struct iovec *, int, off64_t);
typedef ssize_t (*pwritev2_fn)(int, const struct iovec *, int, off_t, int);
typedef int (*fd_fn)(int);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*ftruncate64_fn)(int, off64_t);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*unlink_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*sfr_fn)(int, off64_t, off64_t, unsigned int);
typedef void (*sync_fn)(void);
typedef int (*mkdir_fn)(const char *, mode_t);
typedef int (*mkdirat_fn)(int, const char *, mode_t);

static open_fn real_open, real_open64;
static openat_fn real_openat, real_openat64;
static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static writev_fn real_writev;
static pwritev_fn real_pwritev;
static pwritev64_fn real_pwritev64;
static pwritev2_fn real_pwritev2;
static fd_fn real_fsync, real_fdatasync, real_close, real_syncfs;
static ftruncate_fn real_ftruncate;
static ftruncate64_fn real_ftruncate64;
static rename_fn real_rename;
static renameat_fn real_renameat;
static renameat2_fn real_renameat2;
static unlink_fn real_unlink;
static unlinkat_fn real_unlinkat;
static sfr_fn real_sync_file_range;
static sync_fn real_sync;
static mkdir_fn real_mkdir;
static mkdirat_fn real_mkdirat;

static void resolve(void) {
  if (real_write) return;
  real_open = (open_fn)dlsym(RTLD_NEXT, "open");
  real_open64 = (open_fn)dlsym(RTLD_NEXT, "open64");
  real_openat = (openat_fn)dlsym(RTLD_NEXT, "openat");
  real_openat64 = (openat_fn)dlsym(RTLD_NEXT, "openat64");
  real_pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
  real_writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
  real_pwritev = (pwritev_fn)dlsym(RTLD_NEXT, "pwritev");
  real_pwritev64 = (pwritev64_fn)dlsym(RTLD_NEXT, "pwritev64");
  real_pwritev2 = (pwritev2_fn)dlsym(RTLD_NEXT, "pwritev2");
  real_fsync = (fd_fn)dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (fd_fn)dlsym(RTLD_NEXT, "fdatasync");
  real_close = (fd_fn)dlsym(RTLD_NEXT, "close");
  real_syncfs = (fd_fn)dlsym(RTLD_NEXT, "syncfs");
  real_ftruncate = (ftruncate_fn)dlsym(RTLD_NEXT, "ftruncate");
  real_ftruncate64 = (ftruncate64_fn)dlsym(RTLD_NEXT, "ftruncate64");
  real_rename = (rename_fn)dlsym(RTLD_NEXT, "rename");
  real_renameat = (renameat_fn)dlsym(RTLD_NEXT, "renameat");
  real_renameat2 = (renameat2_fn)dlsym(RTLD_NEXT, "renameat2");
  real_unlink = (unlink_fn)dlsym(RTLD_NEXT, "unlink");
  real_unlinkat = (unlinkat_fn)dlsym(RTLD_NEXT, "unlinkat");
  real_sync_file_range = (sfr_fn)dlsym(RTLD_NEXT, "sync_file_range");
  real_sync = (sync_fn)dlsym(RTLD_NEXT, "sync");
  real_mkdir = (mkdir_fn)dlsym(RTLD_NEXT, "mkdir");
  real_mkdirat = (mkdirat_fn)dlsym(RTLD_NEXT, "mkdirat");
  // Last: the other wrappers test it to know the table is complete.
  __atomic_store_n(&real_write, (write_fn)dlsym(RTLD_NEXT, "write"), __ATOMIC_RELEASE);
}

/* A child forked while another thread held the lock would wait for it forever in close(). */
static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }

__attribute__((constructor)) static void start(void) {
  resolve();
  pthread_atfork(before_fork, after_fork, after_fork);
  const char *dir = getenv("KEELHAUL_UNSYNCED_DIR");
  const char *file = getenv("KEELHAUL_UNSYNCED_LEDGER");
  if (!dir || !*dir || !file || !*file) return;
  if (!realpath(dir, root)) {
    // Not there yet: the node creates it. Its path as given must then be absolute and plain.
    if (dir[0] != '/' || strlen(dir) >= sizeof root) return;
    strcpy(root, dir);
  }
  root_len = strlen(root);
  while (root_len > 1 && root[root_len - 1] == '/') root[--root_len] = '\0';
  ledger = real_open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  const char *kept = getenv("KEELHAUL_UNSYNCED_BACKUPS");
  if (kept && *kept == '/' && strlen(kept) < sizeof backups - 64) strcpy(backups, kept);
  if (ledger >= 0) ready = 1;
  const char *switch_file = getenv("KEELHAUL_DISK_CONTROL");
  if (ready && switch_file && *switch_file) {
    int fd = real_open(switch_file, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      void *mapped = mmap(NULL, sizeof(struct disk_control), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      real_close(fd);
      if (mapped != MAP_FAILED) {
        control = mapped;
        __atomic_add_fetch(&control->counters[C_ATTACHED], 1, __ATOMIC_RELAXED);
      }
    }
  }
}

static int under_root(const char *path) {
  return ready && strncmp(path, root, root_len) == 0 && (path[root_len] == '\0' || path[root_len] == '/');
}

/** Appends `text` to `out` (at *at, at most `size`) with unsafe bytes as %XX. */
static void put_path(char *out, size_t size, size_t *at, const char *text) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)text; *p && *at + 4 < size; p++) {
    if (*p <= 0x20 || *p == '%' || *p == 0x7f) {
      out[(*at)++] = '%';
      out[(*at)++] = hex[*p >> 4];
      out[(*at)++] = hex[*p & 15];
    } else {
      out[(*at)++] = (char)*p;
    }
  }
}

/** One ledger line: `kind`, then the paths given (up to three; NULL: none), then `count` numbers. */
static void record3(char kind, const char *a, const char *b, const char *c, int count, long long n1, long long n2, long long n3) {
  if (!ready) return;
  char line[3 * 3 * PATH_MAX + 128];
  size_t at = 0;
  line[at++] = kind;
  if (a) {
    line[at++] = '\t';
    put_path(line, sizeof line - 96, &at, a);
  }
  if (b) {
    line[at++] = '\t';
    put_path(line, sizeof line - 96, &at, b);
  }
  if (c) {
    line[at++] = '\t';
    put_path(line, sizeof line - 96, &at, c);
  }
  long long numbers[3] = {n1, n2, n3};
  for (int i = 0; i < count; i++) at += (size_t)snprintf(line + at, sizeof line - at, "\t%lld", numbers[i]);
  line[at++] = '\n';
  int saved = errno;
  real_write(ledger, line, at);
  errno = saved;
}

static void record(char kind, const char *a, const char *b, int count, long long n1, long long n2, long long n3) {
  record3(kind, a, b, NULL, count, n1, n2, n3);
}

/** The absolute path `fd` refers to, read back from /proc (after any symlink); 0 when it cannot be. */
static int fd_path(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
  if (n <= 0) return 0;
  out[n] = '\0';
  return 1;
}

/**
 * The absolute path a (dirfd, path) pair names, its folder resolved (the file itself may not exist).
 * 0 when the folder cannot be resolved.
 */
static int absolute(int dirfd, const char *path, char *out, size_t size) {
  char base[PATH_MAX];
  char joined[2 * PATH_MAX + 2];
  char dir[PATH_MAX];
  if (path[0] == '/') {
    snprintf(joined, sizeof joined, "%s", path);
  } else {
    if (dirfd == AT_FDCWD) {
      if (!getcwd(base, sizeof base)) return 0;
    } else if (!fd_path(dirfd, base, sizeof base)) {
      return 0;
    }
    snprintf(joined, sizeof joined, "%s/%s", base, path);
  }
  char *slash = strrchr(joined, '/');
  const char *name = slash + 1;
  if (slash == joined) {
    strcpy(dir, "/");
  } else {
    *slash = '\0';
    if (!realpath(joined, dir)) return 0;
  }
  if (!*name) return 0;
  snprintf(out, size, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
  return 1;
}

static void forget(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return;
  free(fds[fd].path);
  fds[fd].path = NULL;
}

/** After a successful open: track the descriptor if it names a file or folder under the state folder. */
static void opened(int fd, int flags, int existed, long long size_before) {
  if (!ready || fd < 0 || fd >= MAX_FDS) return;
  char path[PATH_MAX];
  struct stat st;
  if (!fd_path(fd, path, sizeof path) || !under_root(path) || fstat(fd, &st) != 0) return;
  pthread_mutex_lock(&lock);
  forget(fd);
  fds[fd].path = strdup(path);
  fds[fd].directory = S_ISDIR(st.st_mode);
  fds[fd].synced_writes = (flags & O_DSYNC) == O_DSYNC;
  if (S_ISREG(st.st_mode)) {
    if (!existed) {
      record('C', path, NULL, 0, 0, 0, 0);
    } else {
      record('O', path, NULL, 1, size_before, 0, 0);
      if ((flags & O_TRUNC) && size_before > 0) record('T', path, NULL, 1, 0, 0, 0);
    }
  }
  pthread_mutex_unlock(&lock);
}

/** Whether (dirfd, path) names something under the state folder. */
static int names_under_root(int dirfd, const char *path) {
  char where[PATH_MAX];
  return ready && absolute(dirfd, path, where, sizeof where) && under_root(where);
}

static int do_openat(openat_fn real, int dirfd, const char *path, int flags, mode_t mode) {
  struct stat before;
  int existed = ready && fstatat(dirfd, path, &before, 0) == 0;
  uint32_t fault = disk_mode();
  if (fault == DISK_FULL || fault == DISK_READ_ONLY) {
    int creates = ((flags & O_CREAT) && !existed) || (flags & O_TMPFILE) == O_TMPFILE;
    int writes = creates || (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    if ((fault == DISK_FULL ? creates : writes) && names_under_root(dirfd, path)) return refuse(C_OPENS, fault == DISK_FULL ? ENOSPC : EROFS);
  }
  int fd = real(dirfd, path, flags, mode);
  if (fd >= 0) opened(fd, flags, existed, existed ? (long long)before.st_size : 0);
  return fd;
}

static mode_t mode_arg(int flags, va_list args) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(args, int) : 0;
}

int open(const char *path, int flags, ...) {
  resolve();
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_arg(flags, args);
  va_end(args);
  return do_openat(real_openat, AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  resolve();
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_arg(flags, args);
  va_end(args);
  return do_openat(real_openat64, AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
  resolve();
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_arg(flags, args);
  va_end(args);
  return do_openat(real_openat, dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  resolve();
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_arg(flags, args);
  va_end(args);
  return do_openat(real_openat64, dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode) {
  resolve();
  return do_openat(real_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) {
  resolve();
  return do_openat(real_openat64, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/** After a write of `written` bytes at `offset` (-1: at the descriptor's position, read back now). */
static void wrote_as(int fd, ssize_t written, long long offset, int sync_failed) {
  if (!ready || written <= 0 || fd < 0 || fd >= MAX_FDS) return;
  pthread_mutex_lock(&lock);
  if (fds[fd].path && !fds[fd].directory) {
    if (offset < 0) offset = (long long)lseek(fd, 0, SEEK_CUR) - written;
    record('W', fds[fd].path, NULL, 3, offset, written, sync_failed ? 0 : fds[fd].synced_writes);
    if (sync_failed) record('E', fds[fd].path, NULL, 0, 0, 0, 0);
  }
  pthread_mutex_unlock(&lock);
}

static void wrote(int fd, ssize_t written, long long offset) { wrote_as(fd, written, offset, 0); }

/** What a disk fault does to a write on `fd` (`dsync`: this call asks for a synced write itself). */
enum write_fault { WRITE_GOES, WRITE_REFUSED, WRITE_SHORT, WRITE_SYNC_FAILS };

static enum write_fault write_fault_for(int fd, int dsync, size_t count) {
  uint32_t fault = disk_mode();
  if (fault == DISK_OK || fd < 0 || fd >= MAX_FDS) return WRITE_GOES;
  pthread_mutex_lock(&lock);
  int file = fds[fd].path && !fds[fd].directory;
  int synced = file && (dsync || fds[fd].synced_writes);
  pthread_mutex_unlock(&lock);
  if (!file) return WRITE_GOES;
  if (fault == DISK_READ_ONLY) return WRITE_REFUSED;
  if (fault == DISK_FSYNC_FAILS) return synced ? WRITE_SYNC_FAILS : WRITE_GOES;
  // disk-full: a write of more than a byte may land in part while the harness allows it.
  uint32_t left = __atomic_load_n(&control->short_writes, __ATOMIC_ACQUIRE);
  while (count > 1 && left > 0) {
    if (__atomic_compare_exchange_n(&control->short_writes, &left, left - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return WRITE_SHORT;
  }
  return WRITE_REFUSED;
}

static int write_refused(void) { return refuse(C_WRITES, disk_mode() == DISK_READ_ONLY ? EROFS : ENOSPC); }

/** A synced write done while syncs fail: its bytes are in the page cache, not durable, and the caller hears EIO. */
static ssize_t sync_failed_write(int fd, ssize_t n, long long offset) {
  if (n < 0) return n;
  wrote_as(fd, n, offset, 1);
  return refuse(C_SYNCS, EIO);
}

/** A short write under disk-full: the first half lands, counted as such; the rest of the call is the caller's to retry. */
static ssize_t short_write(int fd, ssize_t n, long long offset) {
  if (n > 0) {
    __atomic_add_fetch(&control->counters[C_SHORT], 1, __ATOMIC_RELAXED);
    wrote(fd, n, offset);
  }
  return n;
}

ssize_t write(int fd, const void *buf, size_t count) {
  resolve();
  switch (write_fault_for(fd, 0, count)) {
    case WRITE_REFUSED: return write_refused();
    case WRITE_SHORT: return short_write(fd, real_write(fd, buf, count / 2), -1);
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_write(fd, buf, count), -1);
    case WRITE_GOES: break;
  }
  ssize_t n = real_write(fd, buf, count);
  wrote(fd, n, -1);
  return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
  resolve();
  switch (write_fault_for(fd, 0, count)) {
    case WRITE_REFUSED: return write_refused();
    case WRITE_SHORT: return short_write(fd, real_pwrite(fd, buf, count / 2, offset), offset);
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_pwrite(fd, buf, count, offset), offset);
    case WRITE_GOES: break;
  }
  ssize_t n = real_pwrite(fd, buf, count, offset);
  wrote(fd, n, offset);
  return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
  resolve();
  switch (write_fault_for(fd, 0, count)) {
    case WRITE_REFUSED: return write_refused();
    case WRITE_SHORT: return short_write(fd, real_pwrite64(fd, buf, count / 2, offset), offset);
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_pwrite64(fd, buf, count, offset), offset);
    case WRITE_GOES: break;
  }
  ssize_t n = real_pwrite64(fd, buf, count, offset);
  wrote(fd, n, offset);
  return n;
}

/** The fault for a vector write: never shortened, refused whole under disk-full. */
static enum write_fault vector_fault(int fd, int dsync) { return write_fault_for(fd, dsync, 0); }

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  resolve();
  switch (vector_fault(fd, 0)) {
    case WRITE_REFUSED: case WRITE_SHORT: return write_refused();
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_writev(fd, iov, iovcnt), -1);
    case WRITE_GOES: break;
  }
  ssize_t n = real_writev(fd, iov, iovcnt);
  wrote(fd, n, -1);
  return n;
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
  resolve();
  switch (vector_fault(fd, 0)) {
    case WRITE_REFUSED: case WRITE_SHORT: return write_refused();
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_pwritev(fd, iov, iovcnt, offset), offset);
    case WRITE_GOES: break;
  }
  ssize_t n = real_pwritev(fd, iov, iovcnt, offset);
  wrote(fd, n, offset);
  return n;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t offset) {
  resolve();
  switch (vector_fault(fd, 0)) {
    case WRITE_REFUSED: case WRITE_SHORT: return write_refused();
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_pwritev64(fd, iov, iovcnt, offset), offset);
    case WRITE_GOES: break;
  }
  ssize_t n = real_pwritev64(fd, iov, iovcnt, offset);
  wrote(fd, n, offset);
  return n;
}

ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) {
  resolve();
  int dsync = (flags & (RWF_DSYNC | RWF_SYNC)) != 0;
  switch (vector_fault(fd, dsync)) {
    case WRITE_REFUSED: case WRITE_SHORT: return write_refused();
    case WRITE_SYNC_FAILS: return sync_failed_write(fd, real_pwritev2(fd, iov, iovcnt, offset, flags & ~(RWF_DSYNC | RWF_SYNC)), offset);
    case WRITE_GOES: break;
  }
  ssize_t n = real_pwritev2(fd, iov, iovcnt, offset, flags);
  // offset -1: at the current position. RWF_DSYNC/RWF_SYNC make this one write durable.
  if (n > 0 && dsync && fd >= 0 && fd < MAX_FDS) {
    pthread_mutex_lock(&lock);
    if (fds[fd].path && !fds[fd].directory) {
      long long at = offset < 0 ? (long long)lseek(fd, 0, SEEK_CUR) - n : (long long)offset;
      record('W', fds[fd].path, NULL, 3, at, n, 1);
    }
    pthread_mutex_unlock(&lock);
  } else {
    wrote(fd, n, offset);
  }
  return n;
}

/** After a successful fsync/fdatasync (or a sync_file_range that waited, up to `end`; -1: the whole file). */
static void synced(int fd, long long end) {
  if (!ready || fd < 0 || fd >= MAX_FDS) return;
  pthread_mutex_lock(&lock);
  if (fds[fd].path) {
    struct stat st;
    if (fds[fd].directory) {
      record('D', fds[fd].path, NULL, 0, 0, 0, 0);
      for (int i = 0; i < MAX_PENDING; i++) {
        if (!pending[i].dir || strcmp(pending[i].dir, fds[fd].path) != 0) continue;
        real_unlink(pending[i].backup);
        free(pending[i].dir);
        free(pending[i].backup);
        pending[i].dir = pending[i].backup = NULL;
      }
    } else if (fstat(fd, &st) == 0) {
      long long size = (long long)st.st_size;
      record('S', fds[fd].path, NULL, 1, end < 0 || end > size ? size : end, 0, 0);
    }
  }
  pthread_mutex_unlock(&lock);
}

/** Under fsync-fails, a sync of a file or folder under the state folder: EIO, and the ledger says so. */
static int sync_fails(int fd) {
  if (disk_mode() != DISK_FSYNC_FAILS || fd < 0 || fd >= MAX_FDS) return 0;
  pthread_mutex_lock(&lock);
  int tracked = fds[fd].path != NULL;
  if (tracked && !fds[fd].directory) record('E', fds[fd].path, NULL, 0, 0, 0, 0);
  pthread_mutex_unlock(&lock);
  return tracked;
}

int fsync(int fd) {
  resolve();
  if (sync_fails(fd)) return refuse(C_SYNCS, EIO);
  int result = real_fsync(fd);
  if (result == 0) synced(fd, -1);
  return result;
}

int fdatasync(int fd) {
  resolve();
  if (sync_fails(fd)) return refuse(C_SYNCS, EIO);
  int result = real_fdatasync(fd);
  if (result == 0) synced(fd, -1);
  return result;
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  resolve();
  if ((flags & SYNC_FILE_RANGE_WAIT_AFTER) && sync_fails(fd)) return refuse(C_SYNCS, EIO);
  int result = real_sync_file_range(fd, offset, nbytes, flags);
  // Only a call that waits for the writeback promises anything; metadata is never included, so
  // this is generous for a file whose length grew (docs/power-loss.md).
  if (result == 0 && (flags & SYNC_FILE_RANGE_WAIT_AFTER)) synced(fd, nbytes == 0 ? -1 : (long long)(offset + nbytes));
  return result;
}

void sync(void) {
  resolve();
  real_sync();
  if (ready) record('A', NULL, NULL, 0, 0, 0, 0);
}

int syncfs(int fd) {
  resolve();
  int result = real_syncfs(fd);
  if (result == 0 && ready) record('A', NULL, NULL, 0, 0, 0, 0);
  return result;
}

static void truncated(int fd, long long length) {
  if (!ready || fd < 0 || fd >= MAX_FDS) return;
  pthread_mutex_lock(&lock);
  if (fds[fd].path && !fds[fd].directory) record('T', fds[fd].path, NULL, 1, length, 0, 0);
  pthread_mutex_unlock(&lock);
}

/** Under read-only, a change to a file under the state folder through its descriptor: refused. */
static int read_only_fd(int fd) {
  if (disk_mode() != DISK_READ_ONLY || fd < 0 || fd >= MAX_FDS) return 0;
  pthread_mutex_lock(&lock);
  int tracked = fds[fd].path != NULL;
  pthread_mutex_unlock(&lock);
  return tracked;
}

int ftruncate(int fd, off_t length) {
  resolve();
  if (read_only_fd(fd)) return refuse(C_METADATA, EROFS);
  int result = real_ftruncate(fd, length);
  if (result == 0) truncated(fd, length);
  return result;
}

int ftruncate64(int fd, off64_t length) {
  resolve();
  if (read_only_fd(fd)) return refuse(C_METADATA, EROFS);
  int result = real_ftruncate64(fd, length);
  if (result == 0) truncated(fd, length);
  return result;
}

int close(int fd) {
  resolve();
  if (ready && fd == ledger) {
    // A program that closes descriptors it did not open (a daemon closing everything): stop
    // recording rather than write ledger lines into whatever file reuses the number. What it
    // writes from now on is not seen, so a cut finds less to destroy, never more.
    ready = 0;
    ledger = -1;
  } else if (fd >= 0 && fd < MAX_FDS) {
    pthread_mutex_lock(&lock);
    forget(fd);
    pthread_mutex_unlock(&lock);
  }
  return real_close(fd);
}

/** Hard-links the regular file `to` names (about to be replaced by a rename) into the backup folder. */
static int keep_replaced(const char *to, char *backup, size_t size) {
  struct stat st;
  if (!backups[0] || !under_root(to) || lstat(to, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  mkdir(backups, 0700);
  int n = snprintf(backup, size, "%s/%d-%lu", backups, (int)getpid(), __atomic_add_fetch(&backup_seq, 1, __ATOMIC_RELAXED));
  return n > 0 && (size_t)n < size && link(to, backup) == 0;
}

static int do_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int (*call)(void *), void *context) {
  char from[PATH_MAX], to[PATH_MAX], backup[PATH_MAX];
  int known = ready && absolute(olddirfd, oldpath, from, sizeof from) && absolute(newdirfd, newpath, to, sizeof to);
  if (known && disk_mode() == DISK_READ_ONLY && (under_root(from) || under_root(to))) return refuse(C_METADATA, EROFS);
  int kept = known && keep_replaced(to, backup, sizeof backup);
  int result = call(context);
  if (result == 0 && known && (under_root(from) || under_root(to))) {
    pthread_mutex_lock(&lock);
    record3('R', from, to, kept ? backup : "-", 0, 0, 0, 0);
    for (int i = 0; kept && i < MAX_PENDING; i++) {
      if (pending[i].dir) continue;
      char *slash = strrchr(to, '/');
      pending[i].dir = strndup(to, slash == to ? 1 : (size_t)(slash - to));
      pending[i].backup = strdup(backup);
      break;
    }
    pthread_mutex_unlock(&lock);
  } else if (kept) {
    real_unlink(backup);
  }
  return result;
}

struct rename_call {
  int olddirfd;
  const char *oldpath;
  int newdirfd;
  const char *newpath;
  unsigned int flags;
  int kind;
};

static int call_rename(void *context) {
  struct rename_call *c = context;
  if (c->kind == 0) return real_rename(c->oldpath, c->newpath);
  if (c->kind == 1) return real_renameat(c->olddirfd, c->oldpath, c->newdirfd, c->newpath);
  return real_renameat2(c->olddirfd, c->oldpath, c->newdirfd, c->newpath, c->flags);
}

int rename(const char *oldpath, const char *newpath) {
  resolve();
  struct rename_call c = {AT_FDCWD, oldpath, AT_FDCWD, newpath, 0, 0};
  return do_renameat(AT_FDCWD, oldpath, AT_FDCWD, newpath, call_rename, &c);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
  resolve();
  struct rename_call c = {olddirfd, oldpath, newdirfd, newpath, 0, 1};
  return do_renameat(olddirfd, oldpath, newdirfd, newpath, call_rename, &c);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
  resolve();
  struct rename_call c = {olddirfd, oldpath, newdirfd, newpath, flags, 2};
  return do_renameat(olddirfd, oldpath, newdirfd, newpath, call_rename, &c);
}

static void unlinked(int dirfd, const char *path, int result) {
  char where[PATH_MAX];
  if (result == 0 && ready && absolute(dirfd, path, where, sizeof where) && under_root(where)) record('U', where, NULL, 0, 0, 0, 0);
}

int unlink(const char *path) {
  resolve();
  char where[PATH_MAX];
  // Resolved before: after the unlink the name is gone (its folder is not, which is all absolute() needs).
  int known = ready && absolute(AT_FDCWD, path, where, sizeof where);
  if (known && disk_mode() == DISK_READ_ONLY && under_root(where)) return refuse(C_METADATA, EROFS);
  int result = real_unlink(path);
  if (result == 0 && known && under_root(where)) record('U', where, NULL, 0, 0, 0, 0);
  return result;
}

int unlinkat(int dirfd, const char *path, int flags) {
  resolve();
  if (disk_mode() == DISK_READ_ONLY && names_under_root(dirfd, path)) return refuse(C_METADATA, EROFS);
  int result = real_unlinkat(dirfd, path, flags);
  unlinked(dirfd, path, result);
  return result;
}

/** mkdir is only watched for disk faults: a folder under the state folder cannot be made on a full or read-only disk. */
static int mkdir_refused(int dirfd, const char *path) {
  uint32_t fault = disk_mode();
  if ((fault != DISK_FULL && fault != DISK_READ_ONLY) || !names_under_root(dirfd, path)) return 0;
  struct stat st;
  // An existing folder is EEXIST on any disk.
  if (fstatat(dirfd, path, &st, 0) == 0) return 0;
  refuse(C_METADATA, fault == DISK_FULL ? ENOSPC : EROFS);
  return 1;
}

int mkdir(const char *path, mode_t mode) {
  resolve();
  if (mkdir_refused(AT_FDCWD, path)) return -1;
  return real_mkdir(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode) {
  resolve();
  if (mkdir_refused(dirfd, path)) return -1;
  return real_mkdirat(dirfd, path, mode);
}
