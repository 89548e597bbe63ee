/**
 * Reading an import file: bytes → text → records with their first line number, the header
 * mapped to column keys. Every problem of the file itself (its encoding, its quotes, a cell the
 * database cannot store) is an ImportError naming the line it is on, counted the same way
 * everywhere: CRLF, CR or LF ends a line.
 *
 * The file is decoded as UTF-8 or GB18030 (what Excel and WPS write as "CSV" on a Chinese
 * Windows) and parsed as it is read, so memory does not grow with the file.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { textProblem } from '../services/input-checks.ts';
import { type Column, mapHeader, readText } from './csv-format.ts';
import { ImportError, type ImportOptions } from './csv-import-run.ts';

export type Cells = Record<string, string | undefined>;

/** A data row: its cells by column key, and the file line it starts on. */
export interface RawRow {
  line: number;
  cells: Cells;
}

/** Counts the lines of the bytes read so far. */
class LineCounter {
  /** The line the next byte is on. */
  line = 1;
  private afterCR = false;

  add(bytes: Uint8Array, end = bytes.length): void {
    for (let i = 0; i < end; i++) {
      const byte = bytes[i];
      if (byte === 0x0a) {
        if (!this.afterCR) this.line += 1;
        this.afterCR = false;
      } else if (byte === 0x0d) {
        this.line += 1;
        this.afterCR = true;
      } else {
        this.afterCR = false;
      }
    }
  }
}

/**
 * How many of `bytes` read as `encoding` before a byte that cannot be: the index of the first
 * bad byte, or `bytes.length`. A sequence cut at the end is not an error (the next chunk may
 * complete it), so validity only shrinks with the prefix and a binary search finds the edge.
 */
function validPrefixLength(bytes: Uint8Array, encoding: string): number {
  const valid = (n: number) => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  if (valid(bytes.length)) return bytes.length;
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (valid(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/**
 * UTF-8 when the file starts with a byte-order mark or its start reads as UTF-8; else GB18030
 * when that reads further (a file from Excel or WPS on a Chinese Windows); else UTF-8, so a UTF-8
 * file with a bad byte is reported as one, at the bad byte's line.
 */
function detectEncoding(start: Uint8Array): 'utf-8' | 'gb18030' {
  if (start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) return 'utf-8';
  const utf8 = validPrefixLength(start, 'utf-8');
  if (utf8 === start.length) return 'utf-8';
  return validPrefixLength(start, 'gb18030') > utf8 ? 'gb18030' : 'utf-8';
}

/** The most of a line kept to find a bad byte again (a line start is a character boundary in both encodings). */
const LINE_CONTEXT_BYTES = 65_536;

async function* decode(
  source: AsyncIterable<Uint8Array | string>,
  encoding: ImportOptions['encoding'],
): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let name = 'utf-8';
  const lines = new LineCounter();
  /** The bytes of the current line read so far: where a search for a bad byte starts. */
  let lineSoFar: Buffer = Buffer.alloc(0);
  const notText = () =>
    new ImportError(
      lines.line,
      `the file is not valid ${name.toUpperCase()} text; save it from Excel or WPS as "CSV UTF-8 (逗号分隔)"`,
    );
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!decoder) {
      name = encoding === 'auto' || !encoding ? detectEncoding(bytes) : encoding;
      decoder = new TextDecoder(name, { fatal: true });
    }
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      // Found again from the start of the current line, so a character cut across chunks reads whole.
      const at = validPrefixLength(Buffer.concat([lineSoFar, bytes]), name) - lineSoFar.length;
      lines.add(bytes, Math.max(0, at));
      throw notText();
    }
    lines.add(bytes);
    const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
    lineSoFar = lastBreak >= 0 ? bytes.subarray(lastBreak + 1) : Buffer.concat([lineSoFar, bytes]);
    if (lineSoFar.length > LINE_CONTEXT_BYTES)
      lineSoFar = lineSoFar.subarray(lineSoFar.length - LINE_CONTEXT_BYTES);
    yield text;
  }
  let rest: string | undefined;
  try {
    rest = decoder?.decode();
  } catch {
    throw notText();
  }
  if (rest) yield rest;
}

function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const cell of cells) n += cell.match(/\r\n|\r|\n/g)?.length ?? 0;
  return n;
}

/** Longest cell or line csv-parse keeps: far beyond any real row, short of a file read into one cell. */
const MAX_RECORD_CHARS = 1_000_000;

/** csv-parse's error as a reason (its own line numbers count a CRLF inside quotes twice: ours are used). */
function parseProblem(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell that starts on this line is never closed (a " is missing)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted cell goes on after its closing quote: a " inside a quoted cell must be doubled ("")';
    case 'CSV_MAX_RECORD_SIZE':
      return `a cell is longer than ${MAX_RECORD_CHARS.toLocaleString('en')} characters (a " not closed?)`;
    default:
      return error.message.replace(/ at line \d+/, '');
  }
}

/**
 * Data rows with their line numbers, the header mapped to column keys. Parse errors, wrong
 * column counts and cells the database cannot store become ImportErrors naming the line.
 */
export async function* readRows(
  input: Readable | AsyncIterable<Uint8Array | string>,
  options: Pick<ImportOptions, 'encoding'>,
  columns: readonly Column[],
  required: readonly string[],
): AsyncGenerator<RawRow> {
  const text = Readable.from(decode(toSource(input), options.encoding));
  // Lines are counted as records are parsed (csv-parse's own count takes a CRLF inside quotes
  // as two): `parsing` is where the record being parsed starts, so where a parse error is, and
  // `starts` the first lines of the records parsed but not yet read here.
  let parsing = 1;
  const starts: number[] = [];
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (record) => {
      starts.push(parsing);
      parsing += 1 + lineBreaks(record);
      return record;
    },
  });
  text.on('error', (error) => parser.destroy(error));
  text.pipe(parser);
  let keys: string[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = starts.shift()!;
      if (record.length === 1 && record[0]!.trim() === '') continue; // an empty line
      if (!keys) {
        try {
          keys = mapHeader(record, columns, required);
        } catch (error) {
          throw new ImportError(start, `header: ${(error as Error).message}`);
        }
        continue;
      }
      if (record.length !== keys.length) {
        throw new ImportError(
          start,
          `${record.length} cells where the header has ${keys.length} columns`,
        );
      }
      const cells: Cells = {};
      keys.forEach((key, i) => {
        const cell = record[i]!;
        const problem = textProblem(cell);
        if (problem) {
          const code = record[keys!.indexOf('code')];
          throw new ImportError(
            start,
            `${key} ${problem}`,
            code && !textProblem(code) ? (readText(code) ?? undefined) : undefined,
          );
        }
        cells[key] = cell;
      });
      yield { line: start, cells };
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(parsing, parseProblem(error as Error));
  }
  if (!keys) throw new ImportError(1, 'the file is empty: it needs a header row');
}

function toSource(
  input: Readable | AsyncIterable<Uint8Array | string>,
): AsyncIterable<Uint8Array | string> {
  return input as AsyncIterable<Uint8Array | string>;
}
