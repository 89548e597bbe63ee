/**
 * The part of Prisma's WASM query compiler module that src/db/plan-cache.ts wraps. The generated
 * client loads this module itself (`config.compilerWasm.getRuntime`); the package ships no types
 * for it.
 */
declare module '@prisma/client/runtime/query_compiler_bg.postgresql.mjs' {
  export class QueryCompiler {
    /** A JSON protocol query, as text, to its plan. */
    compile(request: string): unknown;
  }
}
