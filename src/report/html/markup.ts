// Small helpers that write HTML as strings: escaping, tables and number formats. Every
// value from a result document goes through `text` or `attr`, since scenario names, step
// names and URLs are the user's own and may hold anything, `</script>` included.

export function text(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function attr(value: unknown): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A cell is plain text unless it is already markup (made by `html`). */
export type Cell = string | number | Markup;

export interface Markup {
  html: string;
}

export function html(markup: string): Markup {
  return { html: markup };
}

function cell(value: Cell): string {
  return typeof value === 'object' ? value.html : text(value);
}

export interface TableOptions {
  caption: string;
  /** Columns (0-based) holding numbers: right-aligned. */
  numeric?: number[];
  className?: string;
}

export function table(head: string[], rows: Cell[][], options: TableOptions): string {
  const numeric = new Set(options.numeric ?? []);
  const align = (i: number) => (numeric.has(i) ? ' class="num"' : '');
  const headRow = head.map((name, i) => `<th scope="col"${align(i)}>${text(name)}</th>`);
  const bodyRows = rows.map(
    (row) =>
      '<tr>' +
      row
        .map(
          (value, i) =>
            (i === 0 ? `<th scope="row">` : `<td${align(i)}>`) +
            cell(value) +
            (i === 0 ? '</th>' : '</td>'),
        )
        .join('') +
      '</tr>',
  );
  const className = options.className ? ` class="${attr(options.className)}"` : '';
  return (
    `<div class="table-wrap"><table${className}><caption>${text(options.caption)}</caption>` +
    `<thead><tr>${headRow.join('')}</tr></thead><tbody>${bodyRows.join('')}</tbody></table></div>`
  );
}

/** Latency in ms as the text summary prints it: three significant digits or so. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

export function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(2)} s`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function section(id: string, title: string, body: string): string {
  return (
    `<section id="${attr(id)}" aria-labelledby="${attr(id)}-title">` +
    `<h2 id="${attr(id)}-title">${text(title)}</h2>${body}</section>`
  );
}
