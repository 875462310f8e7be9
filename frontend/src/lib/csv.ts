// CSV from table rows (RFC 4180 quoting, a header of stable field names) and its download in the browser.
export type CsvValue = string | number | boolean | null | undefined;

// Text a spreadsheet would run as a formula (OWASP's list: = + - @ TAB CR first), whatever follows: "-2+3+cmd|..."
// is a formula too. The server's CSV export (exporter/api/csv.cc) applies the same rule; numbers are data, not text.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // Quote separators, quotes and line breaks; defuse spreadsheet formulas in names users choose.
  const guarded = typeof v === 'string' && FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function downloadCsv(filename: string, csv: string): void {
  const blob = new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
