// The parts of picomatch 2 and braces 3 that patterns.ts uses (neither ships types).
declare module 'picomatch' {
  interface Options {
    dot?: boolean;
  }
  interface ScanResult {
    base: string;
    glob: string;
    isGlob: boolean;
    negated: boolean;
  }
  function picomatch(glob: string | string[], options?: Options): (path: string) => boolean;
  namespace picomatch {
    function scan(glob: string): ScanResult;
    function makeRe(glob: string, options?: Options): RegExp;
  }
  export default picomatch;
}

declare module 'braces' {
  function braces(pattern: string, options?: { rangeLimit?: number }): string[];
  namespace braces {
    function expand(pattern: string, options?: { rangeLimit?: number }): string[];
  }
  export default braces;
}
