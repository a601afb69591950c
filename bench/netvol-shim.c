/*
 * netvol-shim: LD_PRELOAD library that makes every open of a path under $NETVOL_DIR take
 * $NETVOL_DELAY_US microseconds longer (default 1000), to model a network file system
 * (NFS, EFS, CephFS, Azure Files) where each open is a round trip.
 *
 * Build: cc -shared -fPIC -O2 -o netvol-shim.so netvol-shim.c -ldl
 * Use:   NETVOL_DIR=/abs/dir NETVOL_DELAY_US=1000 LD_PRELOAD=$PWD/netvol-shim.so CMD...
 *
 * Paths through /proc/<pid>/fd/N/ count by the directory behind descriptor N.
 *
 * Directory listings are delayed too, as an object store mounted through FUSE (Cloud Storage
 * FUSE, Mountpoint for Amazon S3, BlobFuse2) lists a prefix by paged requests: opendir of a
 * directory under $NETVOL_DIR costs one delay (the first page), and every $NETVOL_PAGE entries
 * (default 1000) read from it with readdir/readdir64 cost one more; scandir/scandir64 (what
 * Node's readdirSync uses) cost one delay per page of their result. $NETVOL_LIST_DELAY_US sets
 * the listing delay apart (default: $NETVOL_DELAY_US).
 *
 * Interposed: open, open64, openat, openat64, their _FORTIFY_SOURCE variants (__open_2,
 * __open64_2, __openat_2, __openat64_2), and fopen/fopen64 (glibc's fopen opens through an
 * internal, non-interposable symbol, and jq reads its files with fopen). The delay is a sleep
 * in the calling thread, so a reader that keeps several opens in flight (libuv's thread pool)
 * overlaps them, as it would on a real network volume.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_dir[PATH_MAX];
static size_t g_dir_len = 0;
static long g_delay_us = 1000;
static long g_list_delay_us = -1;
static long g_page = 1000;
static int g_ready = 0;

static void init(void) {
  if (g_ready) return;
  const char *d = getenv("NETVOL_DIR");
  if (d && *d) {
    strncpy(g_dir, d, sizeof g_dir - 1);
    g_dir_len = strlen(g_dir);
    while (g_dir_len > 1 && g_dir[g_dir_len - 1] == '/') g_dir[--g_dir_len] = 0;
  }
  const char *us = getenv("NETVOL_DELAY_US");
  if (us && *us) g_delay_us = atol(us);
  const char *list = getenv("NETVOL_LIST_DELAY_US");
  g_list_delay_us = list && *list ? atol(list) : g_delay_us;
  const char *page = getenv("NETVOL_PAGE");
  if (page && *page && atol(page) > 0) g_page = atol(page);
  g_ready = 1;
}

static int under_dir(const char *abs) {
  return g_dir_len && strncmp(abs, g_dir, g_dir_len) == 0 &&
         (abs[g_dir_len] == '/' || abs[g_dir_len] == 0);
}

static int matches(int dirfd, const char *path) {
  init();
  if (!g_dir_len || !path) return 0;
  if (path[0] == '/') {
    /* /proc/<pid|self>/fd/N/name (aggregate opens files through their directory's descriptor,
       Node having no openat): the directory behind N decides, as it would on a real volume. */
    const char *fd = strncmp(path, "/proc/", 6) == 0 ? strstr(path + 6, "/fd/") : NULL;
    if (fd) {
      const char *end = fd + 4;
      while (*end >= '0' && *end <= '9') end++;
      char link[64], base[PATH_MAX];
      size_t len = (size_t)(end - path);
      if (*end == '/' && len < sizeof link) {
        memcpy(link, path, len);
        link[len] = 0;
        ssize_t n = readlink(link, base, sizeof base - 1);
        if (n > 0) {
          base[n] = 0;
          return under_dir(base);
        }
      }
    }
    return under_dir(path);
  }
  char base[PATH_MAX];
  if (dirfd == AT_FDCWD) {
    if (!getcwd(base, sizeof base)) return 0;
  } else {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(link, base, sizeof base - 1);
    if (n <= 0) return 0;
    base[n] = 0;
  }
  return under_dir(base);
}

static void sleep_us(long us) {
  if (us <= 0) return;
  int saved = errno;
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
  errno = saved;
}

static void delay(int dirfd, const char *path) {
  if (g_delay_us <= 0 || !matches(dirfd, path)) return;
  sleep_us(g_delay_us);
}

/* Open directory streams under NETVOL_DIR and the entries read from each (a small table: a
   walk holds few streams open at once). */
#define MAX_STREAMS 1024
static struct { DIR *dir; long entries; } g_streams[MAX_STREAMS];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(DIR *dir) {
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < MAX_STREAMS; i++) {
    if (!g_streams[i].dir) {
      g_streams[i].dir = dir;
      g_streams[i].entries = 0;
      break;
    }
  }
  pthread_mutex_unlock(&g_lock);
}

/* One more entry read from `dir`: whether it starts a new page (a delay is due). */
static int next_entry(DIR *dir) {
  int due = 0;
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < MAX_STREAMS; i++) {
    if (g_streams[i].dir == dir) {
      due = ++g_streams[i].entries % g_page == 0;
      break;
    }
  }
  pthread_mutex_unlock(&g_lock);
  return due;
}

static void untrack(DIR *dir) {
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < MAX_STREAMS; i++) {
    if (g_streams[i].dir == dir) g_streams[i].dir = NULL;
  }
  pthread_mutex_unlock(&g_lock);
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef FILE *(*fopen_fn)(const char *, const char *);

#define REAL(name, type) \
  static type real_##name = 0; \
  if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  REAL(open, open_fn);
  va_list ap; va_start(ap, flags); mode_t m = mode_arg(flags, ap); va_end(ap);
  delay(AT_FDCWD, path);
  return real_open(path, flags, m);
}
int open64(const char *path, int flags, ...) {
  REAL(open64, open_fn);
  va_list ap; va_start(ap, flags); mode_t m = mode_arg(flags, ap); va_end(ap);
  delay(AT_FDCWD, path);
  return real_open64(path, flags, m);
}
int openat(int dirfd, const char *path, int flags, ...) {
  REAL(openat, openat_fn);
  va_list ap; va_start(ap, flags); mode_t m = mode_arg(flags, ap); va_end(ap);
  delay(dirfd, path);
  return real_openat(dirfd, path, flags, m);
}
int openat64(int dirfd, const char *path, int flags, ...) {
  REAL(openat64, openat_fn);
  va_list ap; va_start(ap, flags); mode_t m = mode_arg(flags, ap); va_end(ap);
  delay(dirfd, path);
  return real_openat64(dirfd, path, flags, m);
}
int __open_2(const char *path, int flags) {
  REAL(__open_2, open2_fn);
  delay(AT_FDCWD, path);
  return real___open_2(path, flags);
}
int __open64_2(const char *path, int flags) {
  REAL(__open64_2, open2_fn);
  delay(AT_FDCWD, path);
  return real___open64_2(path, flags);
}
int __openat_2(int dirfd, const char *path, int flags) {
  REAL(__openat_2, openat2_fn);
  delay(dirfd, path);
  return real___openat_2(dirfd, path, flags);
}
int __openat64_2(int dirfd, const char *path, int flags) {
  REAL(__openat64_2, openat2_fn);
  delay(dirfd, path);
  return real___openat64_2(dirfd, path, flags);
}
FILE *fopen(const char *path, const char *mode) {
  REAL(fopen, fopen_fn);
  delay(AT_FDCWD, path);
  return real_fopen(path, mode);
}
FILE *fopen64(const char *path, const char *mode) {
  REAL(fopen64, fopen_fn);
  delay(AT_FDCWD, path);
  return real_fopen64(path, mode);
}

typedef DIR *(*opendir_fn)(const char *);
typedef struct dirent *(*readdir_fn)(DIR *);
typedef struct dirent64 *(*readdir64_fn)(DIR *);
typedef int (*closedir_fn)(DIR *);
typedef int (*scandir_fn)(const char *, struct dirent ***, int (*)(const struct dirent *),
                          int (*)(const struct dirent **, const struct dirent **));
typedef int (*scandir64_fn)(const char *, struct dirent64 ***, int (*)(const struct dirent64 *),
                            int (*)(const struct dirent64 **, const struct dirent64 **));

DIR *opendir(const char *path) {
  REAL(opendir, opendir_fn);
  int slow = g_list_delay_us != 0 && matches(AT_FDCWD, path);
  if (slow) sleep_us(g_list_delay_us); /* the listing's first page */
  DIR *dir = real_opendir(path);
  if (dir && slow) track(dir);
  return dir;
}
struct dirent *readdir(DIR *dir) {
  REAL(readdir, readdir_fn);
  struct dirent *e = real_readdir(dir);
  if (e && next_entry(dir)) sleep_us(g_list_delay_us);
  return e;
}
struct dirent64 *readdir64(DIR *dir) {
  REAL(readdir64, readdir64_fn);
  struct dirent64 *e = real_readdir64(dir);
  if (e && next_entry(dir)) sleep_us(g_list_delay_us);
  return e;
}
int closedir(DIR *dir) {
  REAL(closedir, closedir_fn);
  untrack(dir);
  return real_closedir(dir);
}
int scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
            int (*compar)(const struct dirent **, const struct dirent **)) {
  REAL(scandir, scandir_fn);
  int n = real_scandir(path, list, filter, compar);
  if (n >= 0 && g_list_delay_us != 0 && matches(AT_FDCWD, path)) sleep_us(g_list_delay_us * (1 + n / g_page));
  return n;
}
int scandir64(const char *path, struct dirent64 ***list, int (*filter)(const struct dirent64 *),
              int (*compar)(const struct dirent64 **, const struct dirent64 **)) {
  REAL(scandir64, scandir64_fn);
  int n = real_scandir64(path, list, filter, compar);
  if (n >= 0 && g_list_delay_us != 0 && matches(AT_FDCWD, path)) sleep_us(g_list_delay_us * (1 + n / g_page));
  return n;
}
