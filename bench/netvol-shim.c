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
 * Interposed: open, open64, openat, openat64, their _FORTIFY_SOURCE variants (__open_2,
 * __open64_2, __openat_2, __openat64_2), and fopen/fopen64 (glibc's fopen opens through an
 * internal, non-interposable symbol, and jq reads its files with fopen). The delay is a sleep
 * in the calling thread, so a reader that keeps several opens in flight (libuv's thread pool)
 * overlaps them, as it would on a real network volume.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
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

static void delay(int dirfd, const char *path) {
  if (g_delay_us <= 0 || !matches(dirfd, path)) return;
  int saved = errno;
  struct timespec ts = {g_delay_us / 1000000, (g_delay_us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
  errno = saved;
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
