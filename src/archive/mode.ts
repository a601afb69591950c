/**
 * `--mode tar|zip`: the files, in the run's order, into one reproducible archive.
 *
 * Everything that could differ between two runs over the same content is fixed: entry order
 * (the run's sort), mtime (SOURCE_DATE_EPOCH or 0), owner (0/0, no names), mode (0644, or 0755
 * when any execute bit is set), the gzip header (no name, no time).
 *
 * Sizes: an entry's header promises fstat's size at open. A file that shrinks while being read
 * fails the run (the archive would be corrupt); one that grows is cut at that size, with a
 * warning (GNU tar's "file changed as we read it").
 */
import type { FileEntry } from '../discover.js';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { GzipSink, directSink, type ByteSink } from './sink.js';
import { copyExactly, entryMode, modeString, shrank, sourceDateEpoch } from './entry.js';

const PLAIN: Added = Object.freeze({ mode: modeString(0o644) });
const EXEC: Added = Object.freeze({ mode: modeString(0o755) });
import { TarWriter, checkEntryName } from './tar.js';

export function archiveHandler(settings: Settings, out: OutputTarget, _files: readonly FileEntry[]): Handler {
  const mtime = sourceDateEpoch();
  // archiver (and its stream stack) takes longer to load than tar mode takes on 10k small files:
  // loaded only for zip.
  if (settings.mode === 'zip') return lazyHandler(import('./zip.js').then((m) => m.zipHandler(settings, out, mtime)));
  return tarHandler(settings, out, mtime);
}

/** A handler whose construction is asynchronous: calls wait for it. */
function lazyHandler(loading: Promise<Handler>): Handler {
  let handler: Handler | undefined;
  loading.catch(() => {}); // surfaced by the first call
  return {
    add(file, feed) {
      if (handler) return handler.add(file, feed);
      return loading.then((h) => {
        handler = h;
        return h.add(file, feed);
      });
    },
    async finish() {
      await (handler ?? (await loading)).finish();
    },
  };
}

export function tarHandler(settings: Settings, out: OutputTarget, mtime: number): Handler {
  const sink: ByteSink = settings.gzip ? new GzipSink(out, settings.level) : directSink(out);
  const tar = new TarWriter(sink);
  const write = (chunk: Buffer, end: number): Promise<void> | undefined => {
    tar.data(chunk, 0, end);
    return sink.ready();
  };
  return {
    add(file: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      const name = file.entry.rel;
      checkEntryName(name);
      const mode = entryMode(file.mode);
      const added: Added = mode === 0o755 ? EXEC : PLAIN;
      const size = file.size;
      if (file.complete && file.head.length < size) throw shrank(file);
      tar.header({ name, size, mode, mtime });
      const pad = (): Promise<void> | undefined => {
        tar.pad(size);
        return sink.ready();
      };
      const pending = copyExactly(file, feed, settings, write, pad);
      return pending ? pending.then(() => added) : added;
    },
    async finish(): Promise<void> {
      tar.trailer();
      tar.flush();
      await sink.end();
    },
  };
}
