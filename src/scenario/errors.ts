// Problems found in a scenario file, each pinned to a line and column so the user can jump
// straight to it. Loading collects every problem before throwing, so one run of
// `chatload validate` shows the whole list instead of one mistake at a time.

export interface ScenarioIssue {
  /** The scenario file as the caller named it (relative stays relative). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the document, such as `flows[0].steps[2].expect.status`; '' for the root. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

export class ScenarioError extends Error {
  readonly code = 'E_SCENARIO';
  readonly issues: ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid scenario (${count}):\n${formatIssues(issues)}`);
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

/** One issue per line: `scenarios/x.yaml:12:9 flows[0].steps[1].think: expected ...`. */
export function formatIssues(issues: readonly ScenarioIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

function formatIssue(issue: ScenarioIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** Renders a document path the way a reader would write it: `flows[0].json["$.id"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** How a found value is shown in a message: strings quoted, containers named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? 'a list' : 'an empty list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/**
 * The closest candidate to a misspelt word, or undefined when nothing is close enough to be
 * a plausible typo (more than a third of the word would have to change).
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or '' — appended to messages about unknown names. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

// Levenshtein distance, with adjacent swaps counted as one edit since `duraiton` is one slip.
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(best);
    }
  }
  return rows[a.length][b.length];
}
