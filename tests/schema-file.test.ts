import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaFile } from '../src/print-schema.ts';

describe('schema/schema.graphql', () => {
  it('should equal the schema the code builds (run `npm run schema:print` after a schema change)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('should contain the contract names clients depend on', () => {
    const sdl = printedSchema();
    for (const name of [
      'scalar Decimal',
      'scalar Date',
      'scalar DateTime',
      'interface Node',
      'interface Error',
      'enum ProjectStage',
      'type Project implements Node',
      'type Park implements Node',
      'type ProjectStageEvent implements Node',
      'type ProjectStageEventConnection',
      'input ProjectFilter',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
