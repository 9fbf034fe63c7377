import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';

/**
 * Every relative link in the project's Markdown, and every `#anchor` in one, resolves: the README
 * is a short entry point into docs/, so a moved section must not leave a dead link behind.
 * Anchors are the ids GitHub gives headings (github-slugger, the same algorithm).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function markdownFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' });
  return tracked.split('\n').filter((file) => file && !file.includes('node_modules/') && existsSync(join(ROOT, file)));
}

interface Parsed {
  links: string[];
  anchors: Set<string>;
}

const parsed = new Map<string, Parsed>();

function parse(file: string): Parsed {
  const cached = parsed.get(file);
  if (cached) return cached;
  const slugger = new GithubSlugger();
  const result: Parsed = { links: [], anchors: new Set() };
  const walk = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'heading') result.anchors.add(slugger.slug((token as Tokens.Heading).text.replace(/`/g, '')));
      if (token.type === 'link') result.links.push((token as Tokens.Link).href);
      const children = (token as { tokens?: Token[] }).tokens;
      if (children) walk(children);
      if (token.type === 'table') {
        const table = token as Tokens.Table;
        for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens);
      }
      if (token.type === 'list') for (const item of (token as Tokens.List).items) walk(item.tokens);
    }
  };
  walk(Lexer.lex(readFileSync(join(ROOT, file), 'utf8')));
  parsed.set(file, result);
  return result;
}

/** The problem with one link of `file`, or undefined when it resolves. */
function brokenLink(file: string, href: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return undefined; // absolute URL: not ours to check
  const [path = '', anchor] = href.split('#', 2);
  const target = path ? relative(ROOT, join(ROOT, dirname(file), decodeURIComponent(path))) : file;
  if (!existsSync(join(ROOT, target))) return `${file}: ${href} (no file ${target})`;
  if (anchor === undefined) return undefined;
  if (statSync(join(ROOT, target)).isDirectory() || !target.endsWith('.md')) return `${file}: ${href} (an anchor into a non-Markdown target)`;
  return parse(target).anchors.has(anchor) ? undefined : `${file}: ${href} (no heading #${anchor} in ${target})`;
}

describe('Markdown links', () => {
  it('every relative link and anchor resolves', () => {
    const files = markdownFiles();
    assert.ok(files.includes('README.md') && files.includes('docs/operations.md'), `found ${files.join(', ')}`);
    const links = files.flatMap((file) => parse(file).links.map((href) => ({ file, href })));
    assert.ok(links.some(({ href }) => href.includes('#')), 'the scan finds anchored links');
    assert.deepEqual(links.map(({ file, href }) => brokenLink(file, href)).filter(Boolean), []);
  });

  it('finds a broken anchor and a missing file, so it can fail', () => {
    assert.match(brokenLink('README.md', 'docs/operations.md#no-such-heading') ?? '', /no heading/);
    assert.match(brokenLink('README.md', 'docs/nothing.md') ?? '', /no file/);
    assert.equal(brokenLink('README.md', 'docs/operations.md#configuration'), undefined);
  });
});
