import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, type OperationDefinitionNode, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { savedOperationTabs } from '../src/explorer.ts';
import { schema } from '../src/schema/index.ts';

const operationsDir = fileURLToPath(new URL('../schema/operations/', import.meta.url));
const files = readdirSync(operationsDir)
  .filter((f) => f.endsWith('.graphql'))
  .sort();

describe('schema/operations/*.graphql', () => {
  it('should hold the saved operations', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s should parse and validate against the schema', (file) => {
    const document = parse(readFileSync(path.join(operationsDir, file), 'utf8'));
    const errors = validate(schema, document).map((e) => e.message);
    expect(errors).toEqual([]);
  });

  it('should name every operation, and no two operations alike', () => {
    const seen = new Map<string, string>();
    for (const file of files) {
      const document = parse(readFileSync(path.join(operationsDir, file), 'utf8'));
      for (const op of document.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      )) {
        expect(op.name?.value, `an operation in ${file} has no name`).toBeTruthy();
        const name = op.name!.value;
        expect(seen.get(name), `${name} is in both ${seen.get(name)} and ${file}`).toBeUndefined();
        seen.set(name, file);
      }
    }
  });
});

describe('GraphiQL tabs', () => {
  it('should open one tab per explorer operation file, with its variables as JSON', () => {
    const tabs = savedOperationTabs();
    const explorerFiles = files.filter((f) => !f.startsWith('wall-'));
    expect(tabs).toHaveLength(explorerFiles.length);
    for (const tab of tabs) {
      expect(() => parse(tab.query)).not.toThrow();
      if (tab.variables) expect(() => JSON.parse(tab.variables!)).not.toThrow();
    }
  });

  it('should open with the dashboard, a project search, a stage history, a park overview and a live subscription', () => {
    const queries = savedOperationTabs().map((t) => t.query);
    for (const field of ['dashboard(', 'projects(', 'stageHistory', 'parks', 'subscription ']) {
      expect(
        queries.some((q) => q.includes(field)),
        `no tab uses ${field}`,
      ).toBe(true);
    }
  });
});
