import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { GATEWAY_ID_PATTERN } from '../ingest/topics.ts';
import { isValidClaimCode } from './claim-codes.ts';

/**
 * Bulk gateway provisioning by CSV: the file a provider's admin uploads (one gateway a line) and
 * the credentials file handed back (MQTT login and claim code per gateway, shown once).
 * Pure functions; the service that creates the gateways decides what to do with the rows.
 */

/** One gateway to provision; `line` is where its record starts in the uploaded file (header = 1). */
export interface GatewayCsvRow {
  line: number;
  serial: string;
  /** As typed in the file (trimmed); `hashClaimCode` normalises it. Null: generate one. */
  claimCode: string | null;
  name: string | null;
}

export interface CsvRowError {
  line: number;
  column?: string;
  message: string;
}

export type GatewayCsvParseResult =
  { ok: true; rows: GatewayCsvRow[] } | { ok: false; errors: CsvRowError[] };

export interface GatewayCredentialsCsvRow {
  serial: string;
  name: string;
  token: string;
  claimCode: string;
  mqttUsername: string;
}

export const DEFAULT_MAX_GATEWAY_CSV_ROWS = 10_000;

/** A file with every line wrong would otherwise produce a response as large as the file. */
const MAX_LISTED_ERRORS = 1_000;

/** Same limit as `GatewayService.createGateway`, counted the same way (UTF-16 units). */
const MAX_NAME_LENGTH = 100;

/** Values echoed in messages are cut, so a stray megabyte in one cell does not land in the response. */
const MAX_ECHOED_VALUE_LENGTH = 40;

const COLUMN_SERIAL = 'serial';
const COLUMN_CLAIM_CODE = 'claim_code';
const COLUMN_NAME = 'name';
const KNOWN_COLUMNS: readonly string[] = [COLUMN_SERIAL, COLUMN_CLAIM_CODE, COLUMN_NAME];

const NO_GATEWAYS = 'no gateways in the file';

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

interface CsvRecord {
  fields: string[];
  line: number;
}

/** Where each column is in the file's records. */
interface ColumnLayout {
  fieldCount: number;
  serial: number;
  claimCode: number | undefined;
  name: number | undefined;
}

/**
 * Parses and validates an uploaded gateway list. All-or-nothing: either every row is valid, or
 * every problem is listed (up to 1,000) with the line number an editor or spreadsheet shows.
 */
export function parseGatewayCsv(text: string, options: { maxRows?: number } = {}): GatewayCsvParseResult {
  const maxRows = options.maxRows ?? DEFAULT_MAX_GATEWAY_CSV_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRows must be a positive integer');

  const read = readRecords(text);
  if (!read.ok) return { ok: false, errors: [read.error] };
  // Spreadsheets export empty rows as `,,`; like blank lines they carry nothing.
  const [header, ...dataRecords] = read.records.filter((record) => !isBlankRecord(record));
  if (!header) return { ok: false, errors: [{ line: 1, message: NO_GATEWAYS }] };

  const layout = readHeader(header);
  if (!layout.ok) return { ok: false, errors: layout.errors };
  if (dataRecords.length === 0) return { ok: false, errors: [{ line: header.line, message: NO_GATEWAYS }] };

  const firstRecordOverLimit = dataRecords[maxRows];
  if (firstRecordOverLimit) {
    return {
      ok: false,
      errors: [
        {
          line: firstRecordOverLimit.line,
          message: `the file has ${dataRecords.length} gateways; at most ${maxRows} per file, split it`,
        },
      ],
    };
  }

  const rows: GatewayCsvRow[] = [];
  const errors: CsvRowError[] = [];
  const firstLineOfSerial = new Map<string, number>();
  for (const record of dataRecords) {
    const result = readRow(record, layout.columns, firstLineOfSerial);
    if (result.ok) rows.push(result.row);
    else errors.push(...result.errors);
  }
  return errors.length === 0 ? { ok: true, rows } : { ok: false, errors: capErrors(errors) };
}

/**
 * The credentials file for the provider: one line per gateway with its MQTT login and claim code.
 * `\n` line ends; fields are quoted where CSV needs it, so any name reads back unchanged, except
 * that a name that a spreadsheet would run as a formula gets a leading `'` (see below).
 */
export function formatCredentialsCsv(rows: GatewayCredentialsCsvRow[]): string {
  return stringify(
    rows.map((row) => ({
      serial: row.serial,
      name: neutraliseFormula(row.name),
      mqtt_username: row.mqttUsername,
      mqtt_password: row.token,
      claim_code: row.claimCode,
    })),
    {
      header: true,
      columns: ['serial', 'name', 'mqtt_username', 'mqtt_password', 'claim_code'],
      record_delimiter: '\n',
      // Setting record_delimiter turns this default off; a `\r` inside a name must stay quoted.
      quote_record_delimiter: true,
    },
  );
}

/**
 * CSV formula injection (OWASP "CSV Injection"): Excel, LibreOffice and Google Sheets evaluate a
 * cell that starts with `=`, `+`, `-` or `@` (and after a tab or CR) as a formula, which can
 * exfiltrate data or run commands when the admin opens the file. Names come from whoever filled in
 * the upload, so a leading `'` makes the spreadsheet show them as text. Only the name is treated:
 * the password and claim code must stay byte-exact for the programs that read them, and serials
 * (GATEWAY_ID_PATTERN) cannot start with those characters.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

type ReadRecordsResult = { ok: true; records: CsvRecord[] } | { ok: false; error: CsvRowError };

function readRecords(text: string): ReadRecordsResult {
  // csv-parse reports positions as byte offsets of the input; a Buffer makes them ours too.
  const bytes = Buffer.from(text, 'utf8');
  const lines = new RecordLineFinder(bytes);
  const records: CsvRecord[] = [];
  let nextRecordOffset = 0;
  try {
    parse(bytes, {
      bom: true,
      skip_empty_lines: true,
      // Field counts are checked per row below, so that every bad row is reported, not the first.
      relax_column_count: true,
      // csv-parse's own line counter counts a CRLF inside a quoted field twice, so lines are
      // derived from the byte offset where each record ends instead.
      on_record: (fields, context) => {
        records.push({ fields, line: lines.lineOfRecordAt(nextRecordOffset) });
        nextRecordOffset = context.bytes;
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // After a broken quote the rest of the file cannot be split reliably, so this is the one error.
    return {
      ok: false,
      error: { line: lines.lineOfRecordAt(nextRecordOffset), message: describeSyntaxError(error) },
    };
  }
  return { ok: true, records };
}

function describeSyntaxError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (missing ")';
    case 'INVALID_OPENING_QUOTE':
      return 'a " inside a field that is not quoted; quote the field and double the " inside it';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text after the closing " of a quoted field; double a " that is part of the value';
    default:
      return `the file is not valid CSV (${error.code})`;
  }
}

/**
 * Line numbers (1-based, as an editor shows them) of record starts, asked in increasing order of
 * byte offset: one pass over the file in total. CRLF, LF and a lone CR each end a line.
 */
class RecordLineFinder {
  private offset = 0;
  private line = 1;

  constructor(private readonly bytes: Buffer) {}

  /** The line of the record that starts at `offset`, past any blank lines before it. */
  lineOfRecordAt(offset: number): number {
    while (this.offset < offset) this.step();
    while (this.isLineBreak(this.bytes[this.offset])) this.step();
    return this.line;
  }

  private step(): void {
    const byte = this.bytes[this.offset];
    const next = this.bytes[this.offset + 1];
    if (byte === LINE_FEED || (byte === CARRIAGE_RETURN && next !== LINE_FEED)) this.line += 1;
    this.offset += 1;
  }

  private isLineBreak(byte: number | undefined): boolean {
    return byte === LINE_FEED || byte === CARRIAGE_RETURN;
  }
}

function isBlankRecord(record: CsvRecord): boolean {
  return record.fields.every((field) => field.trim() === '');
}

function readHeader(
  header: CsvRecord,
): { ok: true; columns: ColumnLayout } | { ok: false; errors: CsvRowError[] } {
  const line = header.line;
  const titles = header.fields.map((field) => field.trim());
  const names = titles.map((title) => title.toLowerCase());
  const errors: CsvRowError[] = [];

  names.forEach((name, index) => {
    if (name === '') errors.push({ line, message: `column ${index + 1} of the header has no name` });
  });
  const unknownTitles = titles.filter(
    (title, index) => title !== '' && !KNOWN_COLUMNS.includes(names[index] ?? ''),
  );
  if (unknownTitles.length > 0) {
    const listed = unknownTitles.map((title) => describeValue(title)).join(', ');
    const semicolonHint = unknownTitles.some((title) => title.includes(';'))
      ? ' (the file seems to use ; between fields; export it with commas)'
      : '';
    errors.push({
      line,
      message: `unknown column${unknownTitles.length > 1 ? 's' : ''} ${listed}${semicolonHint}; the columns are serial, claim_code (optional) and name (optional)`,
    });
  }
  for (const known of KNOWN_COLUMNS) {
    if (names.filter((name) => name === known).length > 1) {
      errors.push({ line, column: known, message: `column ${known} appears more than once` });
    }
  }
  const serial = names.indexOf(COLUMN_SERIAL);
  if (serial === -1) {
    errors.push({
      line,
      column: COLUMN_SERIAL,
      message: 'the header (first line) has no serial column, e.g. serial,claim_code,name',
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  const claimCode = names.indexOf(COLUMN_CLAIM_CODE);
  const name = names.indexOf(COLUMN_NAME);
  return {
    ok: true,
    columns: {
      fieldCount: names.length,
      serial,
      claimCode: claimCode === -1 ? undefined : claimCode,
      name: name === -1 ? undefined : name,
    },
  };
}

function readRow(
  record: CsvRecord,
  columns: ColumnLayout,
  firstLineOfSerial: Map<string, number>,
): { ok: true; row: GatewayCsvRow } | { ok: false; errors: CsvRowError[] } {
  const line = record.line;
  if (record.fields.length !== columns.fieldCount) {
    // With a field missing or extra, every value may sit under the wrong column: check nothing else.
    return {
      ok: false,
      errors: [
        {
          line,
          message: `expected ${columns.fieldCount} fields like the header, found ${record.fields.length}`,
        },
      ],
    };
  }
  const fieldAt = (index: number | undefined): string =>
    index === undefined ? '' : (record.fields[index] ?? '').trim();
  const serial = fieldAt(columns.serial);
  const claimCode = fieldAt(columns.claimCode);
  const name = fieldAt(columns.name);
  const errors: CsvRowError[] = [];

  if (serial === '') {
    errors.push({ line, column: COLUMN_SERIAL, message: 'serial is empty' });
  } else if (!GATEWAY_ID_PATTERN.test(serial)) {
    errors.push({
      line,
      column: COLUMN_SERIAL,
      message: `serial ${describeValue(serial)} is not a valid gateway id: 1 to 64 letters, digits and . _ : -, starting with a letter or digit`,
    });
  } else {
    const firstLine = firstLineOfSerial.get(serial);
    if (firstLine === undefined) firstLineOfSerial.set(serial, line);
    else {
      errors.push({
        line,
        column: COLUMN_SERIAL,
        message: `serial ${describeValue(serial)} is already on line ${firstLine}`,
      });
    }
  }
  // The code itself is not echoed: error responses end up in logs and screenshots.
  if (claimCode !== '' && !isValidClaimCode(claimCode)) {
    errors.push({
      line,
      column: COLUMN_CLAIM_CODE,
      message:
        'claim code must be 8 to 32 letters and digits of Crockford base32 (no U), spaces and hyphens aside',
    });
  }
  if (name.length > MAX_NAME_LENGTH) {
    errors.push({
      line,
      column: COLUMN_NAME,
      message: `name has ${name.length} characters; at most ${MAX_NAME_LENGTH}`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    row: { line, serial, claimCode: claimCode === '' ? null : claimCode, name: name === '' ? null : name },
  };
}

function describeValue(value: string): string {
  const shown =
    value.length > MAX_ECHOED_VALUE_LENGTH ? `${value.slice(0, MAX_ECHOED_VALUE_LENGTH)}…` : value;
  return JSON.stringify(shown);
}

/** Keeps the first errors and says how many more there are, in at most MAX_LISTED_ERRORS entries. */
function capErrors(errors: CsvRowError[]): CsvRowError[] {
  if (errors.length <= MAX_LISTED_ERRORS) return errors;
  const listed = errors.slice(0, MAX_LISTED_ERRORS - 1);
  const firstUnlistedLine = errors[MAX_LISTED_ERRORS - 1]?.line ?? 0;
  const unlisted = errors.length - listed.length;
  return [...listed, { line: firstUnlistedLine, message: `${unlisted} more errors from this line on` }];
}
