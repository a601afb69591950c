/* LD_PRELOAD shim for tests of big inputs and outputs (test/cli/bigio.test.js).
 *
 * AGG_EIO_AFTER=N: read() of a regular file fails with EIO once the file's offset is at or past
 * N bytes (so only files that big; the bundle and small files read as usual). Node's synchronous
 * and thread-pool reads at the current offset both end in read(2).
 * AGG_SLOW_WRITE_US=U: each positional write of 512 KiB or more sleeps U microseconds first (a
 * slow disk). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static long long env(const char *name) {
  const char *s = getenv(name);
  return s ? atoll(s) : -1;
}

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real)(int, void *, size_t);
  static long long after = -2;
  if (!real) real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (after == -2) after = env("AGG_EIO_AFTER");
  if (after >= 0) {
    struct stat st;
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at >= after && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      errno = EIO;
      return -1;
    }
  }
  return real(fd, buf, n);
}

static void slow(size_t n) {
  static long long us = -2;
  if (us == -2) us = env("AGG_SLOW_WRITE_US");
  if (us > 0 && n >= (512 << 10)) usleep((useconds_t)us);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
  slow(n);
  return real(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  return pwrite64(fd, buf, n, off);
}
