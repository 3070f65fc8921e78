/**
 * A Vite plugin for the widget build: collapses the whitespace inside Lit's css`…` and html`…`
 * templates (and drops CSS comments), which the JS minifier leaves alone. Template literals are found
 * with the TypeScript parser, so nested templates and ${…} expressions are handled exactly; only the
 * literal text between them changes.
 *
 * - css: comments removed, runs of whitespace → one space, none around { } ; ,
 * - html: whitespace that contains a line break → one space (what the browser renders it as anyway)
 */
import ts from 'typescript';
import type { Plugin } from 'vite';

export function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,])\s*/g, '$1')
    .replace(/;}/g, '}')
    .trim();
}

export function minifyHtml(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The source with the text of every css`` / html`` template minified. */
export function minifyTemplates(code: string, fileName = 'x.ts'): string {
  if (!/\b(?:css|html)`/.test(code)) return code;
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: Edit[] = [];
  const piece = (node: ts.Node, open: number, close: number, fn: (s: string) => string) => {
    const start = node.getStart(sf) + open;
    const end = node.getEnd() - close;
    const raw = code.slice(start, end);
    const next = fn(raw);
    if (next !== raw) edits.push({ start, end, text: next });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && (node.tag.text === 'css' || node.tag.text === 'html')) {
      const fn = node.tag.text === 'css' ? minifyCss : minifyHtml;
      const tpl = node.template;
      if (ts.isNoSubstitutionTemplateLiteral(tpl)) piece(tpl, 1, 1, fn);
      else {
        piece(tpl.head, 1, 2, fn);
        for (const span of tpl.templateSpans) piece(span.literal, 1, ts.isTemplateTail(span.literal) ? 1 : 2, fn);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!edits.length) return code;
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

export function minifyTemplatesPlugin(): Plugin {
  return {
    name: 'lendbook-minify-templates',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0] ?? id;
      if (!/\.ts$/.test(file) || file.includes('/node_modules/')) return null;
      const out = minifyTemplates(code, file);
      return out === code ? null : { code: out, map: null };
    },
  };
}
