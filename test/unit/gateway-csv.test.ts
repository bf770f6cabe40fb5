import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import {
  formatCredentialsCsv,
  parseGatewayCsv,
  type CsvRowError,
  type GatewayCredentialsCsvRow,
  type GatewayCsvRow,
} from '../../src/services/gateway-csv.ts';

function expectRows(text: string, options?: { maxRows?: number }): GatewayCsvRow[] {
  const result = parseGatewayCsv(text, options);
  if (!result.ok) assert.fail(`expected rows, got errors ${JSON.stringify(result.errors)}`);
  return result.rows;
}

function expectErrors(text: string, options?: { maxRows?: number }): CsvRowError[] {
  const result = parseGatewayCsv(text, options);
  if (result.ok) assert.fail(`expected errors, got rows ${JSON.stringify(result.rows)}`);
  return result.errors;
}

test('all columns, in another order and case, with whitespace trimmed', () => {
  const rows = expectRows(
    [
      ' Name , CLAIM_CODE ,Serial',
      'Kitchen,ABCD-EFGH-JKMN,GW-0001',
      ' Garage , abcd efgh ijkl , gw.0002:b ',
      ',,GW_0003',
    ].join('\n'),
  );
  assert.deepEqual(rows, [
    { line: 2, serial: 'GW-0001', claimCode: 'ABCD-EFGH-JKMN', name: 'Kitchen' },
    { line: 3, serial: 'gw.0002:b', claimCode: 'abcd efgh ijkl', name: 'Garage' },
    { line: 4, serial: 'GW_0003', claimCode: null, name: null },
  ]);
});

test('only the serial column is required', () => {
  assert.deepEqual(expectRows('serial\nGW-1\nGW-2\n'), [
    { line: 2, serial: 'GW-1', claimCode: null, name: null },
    { line: 3, serial: 'GW-2', claimCode: null, name: null },
  ]);
});

test('UTF-8 BOM, CRLF line ends and blank lines, with line numbers as in the file', () => {
  const rows = expectRows('\uFEFFserial,name\r\nGW-1,Küche\r\n\r\n   \r\n,\r\nGW-2,Bad\r\n');
  assert.deepEqual(rows, [
    { line: 2, serial: 'GW-1', claimCode: null, name: 'Küche' },
    { line: 6, serial: 'GW-2', claimCode: null, name: 'Bad' },
  ]);
});

test('quoted fields keep commas, quotes and line breaks; later lines are still numbered right', () => {
  const text =
    'serial,name\r\nGW-1,"Kitchen, upstairs"\r\nGW-2,"The ""big"" one"\r\nGW-3,"two\r\nlines"\r\nGW/4,x\r\n';
  const errors = expectErrors(text);
  // GW-3's name spans lines 4 and 5, so GW/4 is on line 6.
  assert.deepEqual(
    errors.map((error) => [error.line, error.column]),
    [[6, 'serial']],
  );
  const rows = expectRows(text.replace('GW/4', 'GW-4'));
  assert.deepEqual(
    rows.map((row) => [row.line, row.name]),
    [
      [2, 'Kitchen, upstairs'],
      [3, 'The "big" one'],
      [4, 'two\r\nlines'],
      [6, 'x'],
    ],
  );
});

test('a header without a serial column is rejected', () => {
  const errors = expectErrors('name,claim_code\nKitchen,ABCD-EFGH-JKMN\n');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.line, 1);
  assert.equal(errors[0]?.column, 'serial');
  assert.match(errors[0]?.message ?? '', /no serial column/);
});

test('unknown columns are named in the error', () => {
  const errors = expectErrors('serial,colour,name,Room\nGW-1,red,Kitchen,1\n');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.line, 1);
  assert.match(errors[0]?.message ?? '', /unknown columns "colour", "Room"/);
});

test('a file separated by semicolons gets a hint', () => {
  const errors = expectErrors('serial;name\nGW-1;Kitchen\n');
  assert.match(errors[0]?.message ?? '', /"serial;name".*seems to use ; between fields/);
});

test('a column that appears twice is rejected', () => {
  const errors = expectErrors('serial,Serial\nGW-1,GW-2\n');
  assert.deepEqual(
    errors.map((error) => error.column),
    ['serial'],
  );
  assert.match(errors[0]?.message ?? '', /more than once/);
});

test('serials must be gateway ids: no slash, no MQTT wildcard, no leading punctuation', () => {
  const errors = expectErrors(
    'serial\nGW-1\nGW/2\nGW#3\nGW+4\n-GW5\nGW 6\n' + `${'A'.repeat(65)}\n` + 'GW-7\n',
  );
  assert.deepEqual(
    errors.map((error) => [error.line, error.column]),
    [
      [3, 'serial'],
      [4, 'serial'],
      [5, 'serial'],
      [6, 'serial'],
      [7, 'serial'],
      [8, 'serial'],
    ],
  );
  assert.match(errors[0]?.message ?? '', /serial "GW\/2" is not a valid gateway id/);
  assert.match(errors[1]?.message ?? '', /"GW#3"/);
  // Long values are cut in the message.
  assert.ok((errors[5]?.message.length ?? 0) < 160, errors[5]?.message);
});

test('an empty serial is an error on its line', () => {
  const errors = expectErrors('serial,name\nGW-1,a\n,Garage\n');
  assert.deepEqual(errors, [{ line: 3, column: 'serial', message: 'serial is empty' }]);
});

test('a bad claim code is an error, and the code is not echoed', () => {
  const errors = expectErrors(
    'serial,claim_code\nGW-1,ABCD-EFGH-JKMN\nGW-2,ABC-123\nGW-3,ABCD-EFGH-UUUU\nGW-4,\nGW-5,ABCD-EFGH-JK?N\n',
  );
  assert.deepEqual(
    errors.map((error) => [error.line, error.column]),
    [
      [3, 'claim_code'],
      [4, 'claim_code'],
      [6, 'claim_code'],
    ],
  );
  for (const error of errors) assert.doesNotMatch(error.message, /ABC-123|UUUU|JK\?N/);
});

test('names longer than 100 characters are rejected', () => {
  assert.equal(expectRows(`serial,name\nGW-1,${'n'.repeat(100)}\n`)[0]?.name?.length, 100);
  const errors = expectErrors(`serial,name\nGW-1,${'n'.repeat(101)}\n`);
  assert.deepEqual(
    errors.map((error) => [error.line, error.column]),
    [[2, 'name']],
  );
});

test('a duplicate serial is an error on the later line that names the first', () => {
  const errors = expectErrors('serial,name\nGW-1,a\nGW-2,b\nGW-1,c\nGW-1,d\n');
  assert.deepEqual(errors, [
    { line: 4, column: 'serial', message: 'serial "GW-1" is already on line 2' },
    { line: 5, column: 'serial', message: 'serial "GW-1" is already on line 2' },
  ]);
});

test('every row error is reported, several per row', () => {
  const errors = expectErrors(`serial,claim_code,name\nGW/1,ABC,${'x'.repeat(101)}\nGW-2,,ok\nGW#3,,\n`);
  assert.deepEqual(
    errors.map((error) => [error.line, error.column]),
    [
      [2, 'serial'],
      [2, 'claim_code'],
      [2, 'name'],
      [4, 'serial'],
    ],
  );
});

test('a row with too many or too few fields is an error with its line', () => {
  const errors = expectErrors('serial,name\nGW-1,a\nGW-2,b,c\nGW-3\nGW-4,d\n');
  assert.deepEqual(
    errors.map((error) => error.line),
    [3, 4],
  );
  assert.match(errors[0]?.message ?? '', /expected 2 fields like the header, found 3/);
  assert.match(errors[1]?.message ?? '', /found 1/);
});

test('more rows than maxRows is one error, at the first row over the limit', () => {
  const text = 'serial\nGW-1\nGW-2\n\nGW-3\nGW-4\n';
  assert.equal(expectRows(text, { maxRows: 4 }).length, 4);
  const errors = expectErrors(text, { maxRows: 3 });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.line, 6);
  assert.match(errors[0]?.message ?? '', /has 4 gateways; at most 3/);
});

test('the default limit is 10,000 rows', () => {
  const serials = Array.from({ length: 10_001 }, (_, index) => `GW-${index}`);
  assert.equal(expectRows(`serial\n${serials.slice(0, 10_000).join('\n')}\n`).length, 10_000);
  const errors = expectErrors(`serial\n${serials.join('\n')}\n`);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.line, 10_002);
});

test('at most 1,000 errors are listed, the last one counting the rest', () => {
  const lines = Array.from({ length: 1_500 }, (_, index) => `bad/${index}`);
  const errors = expectErrors(`serial\n${lines.join('\n')}\n`);
  assert.equal(errors.length, 1_000);
  assert.equal(errors[998]?.line, 1_000);
  assert.deepEqual(errors[999], { line: 1_001, message: '501 more errors from this line on' });
});

test('an unclosed quote is an error with the line where its record starts, not an exception', () => {
  const errors = expectErrors('serial,name\r\nGW-1,"two\r\nlines"\r\nGW-2,"oops\r\nGW-3,x\r\n');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.line, 4);
  assert.match(errors[0]?.message ?? '', /quoted field is never closed/);
});

test('a stray quote inside or after a field is an error with its line', () => {
  const inside = expectErrors('serial,name\nGW-1,a\nGW-2,5" screen\n');
  assert.deepEqual(
    inside.map((error) => error.line),
    [3],
  );
  assert.match(inside[0]?.message ?? '', /quote the field/);
  const after = expectErrors('serial,name\nGW-1,"a"b\n');
  assert.deepEqual(
    after.map((error) => error.line),
    [2],
  );
  assert.match(after[0]?.message ?? '', /after the closing "/);
});

test('an empty file or a header alone has no gateways', () => {
  for (const text of ['', '\uFEFF', '\n\n', 'serial,claim_code,name\n', 'serial\r\n\r\n,\r\n']) {
    const errors = expectErrors(text);
    assert.equal(errors.length, 1, JSON.stringify(text));
    assert.equal(errors[0]?.message, 'no gateways in the file');
    assert.equal(errors[0]?.line, 1);
  }
});

const credentials = (name: string, index = 1): GatewayCredentialsCsvRow => ({
  serial: `GW-${index}`,
  name,
  token: `hgw_secret-${index}`,
  claimCode: 'ABCD-EFGH-JKMN',
  mqttUsername: `gw-${index}`,
});

test('credentials CSV: header, \\n line ends, one line per gateway', () => {
  const output = formatCredentialsCsv([credentials('Kitchen', 1), credentials('Garage', 2)]);
  assert.equal(
    output,
    'serial,name,mqtt_username,mqtt_password,claim_code\n' +
      'GW-1,Kitchen,gw-1,hgw_secret-1,ABCD-EFGH-JKMN\n' +
      'GW-2,Garage,gw-2,hgw_secret-2,ABCD-EFGH-JKMN\n',
  );
  assert.equal(formatCredentialsCsv([]), 'serial,name,mqtt_username,mqtt_password,claim_code\n');
});

test('credentials CSV: names a spreadsheet would run as formulas get a leading quote', () => {
  const names = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx', 'a=b', "'kept"];
  const output = formatCredentialsCsv(names.map((name, index) => credentials(name, index)));
  const records: Array<Record<string, string>> = parse(output, { columns: true });
  assert.deepEqual(
    records.map((record) => record.name),
    ['\'=HYPERLINK("http://evil","x")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", 'a=b', "'kept"],
  );
  // The secrets are not touched, whatever they start with.
  const output2 = formatCredentialsCsv([{ ...credentials('n'), token: '-tok', claimCode: '=CODE' }]);
  assert.ok(output2.includes(',-tok,=CODE\n'), output2);
});

test('credentials CSV read back with csv-parse gives the same values', () => {
  const names = [
    'Kitchen, upstairs',
    'The "big" one',
    'two\nlines',
    'cr\rinside',
    'Ünïcødé 🏠',
    '',
    ' padded ',
  ];
  const rows = names.map((name, index) => credentials(name, index));
  const output = formatCredentialsCsv(rows);
  assert.equal(output.split('\n')[0], 'serial,name,mqtt_username,mqtt_password,claim_code');
  assert.ok(!output.includes('\r\n'), 'no CRLF');
  // A bare CR is a line end to some readers (csv-parse only auto-detects the first kind it sees).
  assert.ok(output.includes(',"cr\rinside",'), 'a CR inside a name is quoted');
  const records: Array<Record<string, string>> = parse(output, { columns: true });
  assert.deepEqual(
    records,
    rows.map((row) => ({
      serial: row.serial,
      name: row.name,
      mqtt_username: row.mqttUsername,
      mqtt_password: row.token,
      claim_code: row.claimCode,
    })),
  );
});
