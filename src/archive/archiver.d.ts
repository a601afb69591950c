/** The part of archiver 8's API used here (the package ships no types). */
declare module 'archiver' {
  import { Transform, type Readable } from 'node:stream';

  export interface ZipOptions {
    zlib?: { level?: number };
    store?: boolean;
    forceLocalTime?: boolean;
    forceZip64?: boolean;
    comment?: string;
    highWaterMark?: number;
  }

  export interface EntryData {
    name: string;
    date?: Date | string;
    mode?: number;
    store?: boolean;
  }

  export class Archiver extends Transform {
    append(source: Buffer | Readable | string, data: EntryData): this;
    finalize(): Promise<void>;
    abort(): this;
    pointer(): number;
  }

  export class ZipArchive extends Archiver {
    constructor(options?: ZipOptions);
  }

  export class TarArchive extends Archiver {
    constructor(options?: { gzip?: boolean; gzipOptions?: { level?: number } });
  }
}
