import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The flow in sdk/README.md is real code: it type-checks against the SDK and its generated API types,
 * so a renamed path or field in the API breaks this test rather than the partner's first try.
 */
describe('sdk/README.md', () => {
  it('shows a flow that type-checks against the SDK', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    const readme = readFileSync(`${dir}README.md`, 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'a ```ts block in sdk/README.md').toBeDefined();
    const [importLine, ...body] = snippet!.split('\n');
    expect(importLine).toContain("from '@lendbook/partner'");
    // The handler's variables, as a webhook endpoint would have them.
    const source = [
      importLine!.replace("'@lendbook/partner'", "'./src/index.js'"),
      "import type { IncomingMessage, ServerResponse } from 'node:http';",
      'export async function flow(req: IncomingMessage, res: ServerResponse, rawBody: string) {',
      ...body,
      '  return [invite, offers, split, hook];',
      '}',
    ].join('\n');
    const file = `${dir}readme-flow.ts`;
    const config = ts.getParsedCommandLineOfConfigFile(`${dir}tsconfig.json`, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const host = ts.createCompilerHost(config.options);
    const read = host.readFile.bind(host);
    host.readFile = (name) => (name === file ? source : read(name));
    const exists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || exists(name);
    const program = ts.createProgram([file], { ...config.options, noEmit: true, rootDir: dir }, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName === file ? 'README' : (d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });
});
