#!/usr/bin/env node
// Check Mermaid diagrams with the real Mermaid parser, under Node, without a browser.
//
// Usage (from the repository root, after `npm ci` there):
//
//     echo '[{"id": "g", "text": "gantt\n..."}]' | TZ=UTC node tests/mermaid/check.mjs
//
// stdin:  a JSON array of {"id": string, "text": string}.
// stdout: a JSON array, one result per input, in the same order:
//   {"id", "ok", "error", "type", "tasks", "unresolved_after", "unresolved_until"}
//   - ok: Mermaid's own parser (mermaid.parse, i.e. the real grammar) accepts the text and,
//     for a gantt, Mermaid can build its task list (db.getTasks(), where bad dates fail),
//     every `after`/`until` names a task, no task id is used twice, and every task's end is
//     a form Mermaid reads (a duration such as 5d, a date in dateFormat, or until <id>);
//     Mermaid itself accepts those mistakes silently.
//   - error: the parser's message (or the gantt problems found), null when ok.
//   - type: the diagram type as Mermaid detects it (gantt, flowchart-v2, pie, ...), or null.
//   - tasks (gantt only, else null): Mermaid's own db.getTasks(), each as
//     {id, task, section, start, end, milestone, crit}; start/end are calendar dates
//     (YYYY-MM-DD) of Mermaid's startTime/endTime, and endTime is EXCLUSIVE.
//     task/section are the label as a reader sees it: trimmed, with Mermaid's entity escapes
//     (#35; #quot; ...) decoded.
//   - unresolved_after / unresolved_until (gantt only, else null): ids named after the `after`
//     (or `until`) keyword of a task's metadata that are not the id of any task of this
//     diagram. Mermaid accepts these silently and schedules the task from today's date.
// Exit status: 0 when it ran, even if diagrams are invalid; 2 on bad input; 1 on its own failure.
//
// Each diagram is independent: mermaid.parse resets Mermaid's config, and each diagram's db
// is cleared before it is parsed. (Mermaid's gantt db keeps one id -> position map across
// diagrams, so in Mermaid an `after` naming an id of an earlier diagram can land on a wrong
// task; ids are resolved here against this diagram's own tasks, so that is reported.)
// Mermaid is loaded once: 50 diagrams take about a second in all. Nothing is rendered.

// Mermaid's gantt db works in local time; UTC keeps 2027-01-04 as 2027-01-04 everywhere.
process.env.TZ = 'UTC';

// stdout carries only the JSON answer: anything Mermaid or jsdom logs goes to stderr.
const toStderr = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;
console.trace = toStderr;

const fail = (status, message) => {
  process.stderr.write(`check.mjs: ${message}\n`);
  process.exit(status);
};

// Read and validate the input first: bad input fails fast, before the heavy imports.
async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function readInput(raw) {
  let items;
  try {
    items = JSON.parse(raw);
  } catch (error) {
    fail(2, `stdin is not JSON: ${error.message}`);
  }
  if (!Array.isArray(items)) fail(2, 'stdin must be a JSON array of {"id", "text"} objects');
  items.forEach((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      fail(2, `item ${index} is not an object`);
    }
    if (typeof item.id !== 'string') fail(2, `item ${index} has no string "id"`);
    if (typeof item.text !== 'string') fail(2, `item ${index} (${item.id}) has no string "text"`);
  });
  return items;
}

const items = readInput(await readStdin());

let JSDOM;
try {
  ({ JSDOM } = await import('jsdom'));
} catch (error) {
  fail(1, `cannot load jsdom (${error.message}); run \`npm ci\` in the repository root`);
}

// Mermaid (DOMPurify, d3) needs a DOM even to parse: give it jsdom's, before importing it.
const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
  pretendToBeVisual: true,
  url: 'http://localhost/',
});
const { window } = dom;
const globals = {
  window,
  self: window,
  document: window.document,
  navigator: window.navigator,
  location: window.location,
  DOMParser: window.DOMParser,
  XMLSerializer: window.XMLSerializer,
  Node: window.Node,
  Element: window.Element,
  HTMLElement: window.HTMLElement,
  SVGElement: window.SVGElement,
  DocumentFragment: window.DocumentFragment,
  MutationObserver: window.MutationObserver,
  getComputedStyle: window.getComputedStyle.bind(window),
};
for (const [name, value] of Object.entries(globals)) {
  // Node 21+ defines a read-only global navigator; defineProperty replaces it as well.
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

let mermaid;
try {
  ({ default: mermaid } = await import('mermaid'));
} catch (error) {
  fail(1, `cannot load mermaid (${error.message}); run \`npm ci\` in the repository root`);
}
mermaid.initialize({ startOnLoad: false, logLevel: 'fatal', securityLevel: 'strict' });
// Mermaid's own dayjs (a dependency of mermaid), to read end dates the way its gantt db does.
const { default: dayjs } = await import('dayjs');
const { default: customParseFormat } = await import('dayjs/plugin/customParseFormat.js');
dayjs.extend(customParseFormat);

const pad = (n, width = 2) => String(n).padStart(width, '0');

// Calendar date of a Date, read with local getters (TZ is UTC, as Mermaid computed it).
function ymd(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return null;
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// Mermaid turns an escape `#name;` / `#123;` into a placeholder before parsing and back into
// `&name;` / `&#123;` in the SVG it renders. Show the text a reader sees; other text (a raw
// `&amp;`, say) is left as Mermaid keeps it.
const decoder = window.document.createElement('textarea');
function readable(text) {
  if (typeof text !== 'string') return text ?? null;
  const decoded = text.replace(/\uFB02\xB0(\xB0?)(\w+)\xB6\xDF/g, (_, numeric, body) => {
    decoder.innerHTML = `&${numeric ? '#' : ''}${body};`;
    return decoder.value;
  });
  return decoded.trim();
}

function errorMessage(error) {
  if (error instanceof Error) return error.message || String(error);
  if (error && typeof error === 'object' && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}

function detectType(text) {
  try {
    return mermaid.detectType(text);
  } catch {
    return null;
  }
}

// Gantt tags, which Mermaid strips from the front of a task's metadata (lower-case, exact).
const TAGS = ['active', 'done', 'crit', 'milestone', 'vert'];
// The end field forms Mermaid reads; anything else silently gives a zero-length task.
const DURATION = /^(\d+(?:\.\d+)?)([Mdhmswy]|ms)$/;

// A task's metadata (the text after its colon, which Mermaid's lexer takes as `:[^#\n;]+`),
// split into fields the way Mermaid's ganttDb does: commas, tags first, then
// `[id,] [start,] end`.
function taskFields(metadata) {
  const fields = metadata.replace(/^:/, '').split(',');
  while (fields.length && TAGS.includes(fields[0].trim())) fields.shift();
  return fields.map((field) => field.trim());
}

// Ids named by `after id1 id2` (in the start field) or `until id` (in the end field).
function referencedIds(field, keyword) {
  const match = new RegExp(`^${keyword}\\s+(.*)$`, 's').exec(field ?? '');
  return match ? match[1].split(/\s+/).filter(Boolean) : [];
}

async function checkGantt(text, result) {
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const { db } = diagram;
  let rawTasks;
  try {
    rawTasks = db.getTasks();
  } catch (error) {
    const hint = /reading 'type'/.test(errorMessage(error))
      ? ' (a task has more than `id, start, end` after its tags; tags such as crit and' +
        ' milestone must come first, in lower case)'
      : '';
    throw new Error(`${errorMessage(error)}${hint}`);
  }
  const dateFormat = (db.getDateFormat?.() || 'YYYY-MM-DD').trim();
  const known = new Set(rawTasks.map((task) => task.id));
  const tasks = [];
  const problems = [];
  const unresolved = { after: [], until: [] };
  const seen = new Set();
  const duplicates = [];
  for (const task of rawTasks) {
    const start = ymd(task.startTime);
    const end = ymd(task.endTime);
    if (start === null) problems.push(`task ${task.id} has no valid start date`);
    if (end === null) problems.push(`task ${task.id} has no valid end date`);
    tasks.push({
      id: task.id,
      task: readable(task.task),
      section: readable(task.section),
      start,
      end,
      milestone: Boolean(task.milestone),
      crit: Boolean(task.crit),
    });
    if (seen.has(task.id) && !duplicates.includes(task.id)) duplicates.push(task.id);
    seen.add(task.id);

    if (typeof task.raw?.data !== 'string') {
      // Mermaid keeps each task line's metadata in task.raw.data (11.x); fail loudly if not.
      throw new Error(`this Mermaid keeps no task.raw.data for task ${task.id}; update check.mjs`);
    }
    const fields = taskFields(task.raw.data);
    const endField = fields.at(-1);
    const startField = fields.length >= 2 ? fields.at(-2) : undefined;
    for (const [keyword, field] of [
      ['after', startField],
      ['until', endField],
    ]) {
      for (const id of referencedIds(field, keyword)) {
        // Mermaid reads these ids with /[\d\w- ]+/: any other character cuts the id short.
        const resolvable = /^[\w-]+$/.test(id) && known.has(id);
        if (!resolvable && !unresolved[keyword].includes(id)) unresolved[keyword].push(id);
      }
    }
    const readableEnd =
      endField !== undefined &&
      (/^until\s/.test(endField) ||
        DURATION.test(endField) ||
        dayjs(endField, dateFormat, true).isValid());
    if (!readableEnd) {
      problems.push(
        `task ${task.id}: end ${JSON.stringify(endField ?? '')} is not a duration Mermaid ` +
          `reads (e.g. 5d, 0d, 1w), a date in dateFormat ${dateFormat}, or until <id>`,
      );
    }
  }
  for (const keyword of ['after', 'until']) {
    if (unresolved[keyword].length) {
      problems.push(`${keyword} names no task: ${unresolved[keyword].join(', ')}`);
    }
  }
  if (duplicates.length) problems.push(`duplicate task id: ${duplicates.join(', ')}`);
  result.tasks = tasks;
  result.unresolved_after = unresolved.after;
  result.unresolved_until = unresolved.until;
  if (problems.length) {
    result.ok = false;
    result.error = problems.join('; ');
  }
}

async function checkOne({ id, text }) {
  const result = {
    id,
    ok: false,
    error: null,
    type: null,
    tasks: null,
    unresolved_after: null,
    unresolved_until: null,
  };
  try {
    // The real grammar: throws on any syntax error. Also resets and applies the diagram's
    // own config (front matter, %%{init}%%), so nothing carries over between diagrams.
    const parsed = await mermaid.parse(text);
    result.type = parsed.diagramType;
    result.ok = true;
  } catch (error) {
    result.type = detectType(text);
    result.error = errorMessage(error);
    return result;
  }
  if (result.type === 'gantt') {
    try {
      // Parsing alone leaves gantt dates unresolved; building the task list (what the
      // renderer does) is where bad dates and durations fail.
      await checkGantt(text, result);
    } catch (error) {
      result.ok = false;
      result.error = `gantt tasks: ${errorMessage(error)}`;
    }
  }
  return result;
}

const results = [];
for (const item of items) {
  results.push(await checkOne(item));
}
process.stdout.write(`${JSON.stringify(results)}\n`);
window.close();
process.exitCode = 0;
