// The type of the module scripts/wasm.mjs generates (src/json/fast-wasm.ts, git-ignored, made by
// `npm run build`), so that `tsc --noEmit` and editors type-check a fresh clone before any build.
// When both exist, tsc takes the generated .ts and ignores this file.
/** The scanner's WebAssembly kernel (src/json/fast.as.ts compiled with SIMD), base64. */
export declare const WASM_BASE64: string;
