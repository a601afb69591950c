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
import type { FileList } from '../discover.js';
import type { Settings } from '../options.js';
import type { OpenedFile } from '../read.js';
import type { Added, ChunkFeed, Handler } from '../run.js';
import type { OutputTarget } from '../sink.js';
import { GzipSink, directSink, type ByteSink } from '../byte-sink.js';
import { entryMode, modeString, shrank, sourceDateEpoch, warnGrew } from './entry.js';
import { TarWriter, checkEntryName } from './tar.js';
import { zipHandler } from './zip.js';

const PLAIN: Added = Object.freeze({ mode: modeString(0o644) });
const EXEC: Added = Object.freeze({ mode: modeString(0o755) });

export function archiveHandler(settings: Settings, out: OutputTarget, _files: FileList): Handler {
  const mtime = sourceDateEpoch();
  if (settings.mode === 'zip') return zipHandler(settings, out, mtime);
  return tarHandler(settings, out, mtime);
}

export function tarHandler(settings: Settings, out: OutputTarget, mtime: number): Handler {
  const sink: ByteSink = settings.gzip ? new GzipSink(out, settings.level) : directSink(out);
  const tar = new TarWriter(sink);
  // The entry being written (one at a time): state shared by closures made once, not per file.
  let file: OpenedFile;
  let left = 0;
  let grew = false;
  let added: Added = PLAIN;
  const write = (chunk: Buffer): Promise<void> | undefined => {
    const n = chunk.length <= left ? chunk.length : left;
    if (n < chunk.length) grew = true;
    if (n === 0) return undefined;
    left -= n;
    tar.data(chunk, 0, n);
    return sink.ready();
  };
  const end = (): Added | Promise<Added> => {
    if (left > 0) throw shrank(file);
    if (grew) warnGrew(settings, file);
    tar.pad(file.size);
    const r = sink.ready();
    return r ? r.then(() => added) : added;
  };
  return {
    add(f: OpenedFile, feed: ChunkFeed): Added | Promise<Added> {
      file = f;
      const name = f.entry.rel;
      checkEntryName(name);
      const mode = entryMode(f.mode);
      added = mode === 0o755 ? EXEC : PLAIN;
      const size = f.size;
      if (f.complete && f.head.length < size) throw shrank(f);
      left = size;
      grew = false;
      tar.header({ name, size, mode, mtime });
      const pending = feed.each(f, write);
      return pending ? pending.then(end) : end();
    },
    async finish(): Promise<void> {
      tar.trailer();
      tar.flush();
      await sink.end();
    },
  };
}
