/**
 * The stage vocabulary has one home (src/services/stages.ts): the schema's enum descriptions,
 * the CSV format and the wall display all name the stages from it, and the wall's script keeps
 * no list of its own.
 */
import { readFileSync } from 'node:fs';
import { type GraphQLEnumType, isEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { mapHeader, PROJECT_COLUMNS, readStage } from '../src/exchange/csv-format.ts';
import { ProjectStage } from '../src/generated/prisma/client.ts';
import { schema } from '../src/schema/index.ts';
import { PIPELINE, STAGE_TERMS } from '../src/services/stages.ts';
import { wallVocabulary } from '../src/wall.ts';

const stages = Object.values(ProjectStage);

describe('stage vocabulary', () => {
  it('should keep the database enum in pipeline order, then SUSPENDED and CANCELLED', () => {
    // Ordering projects by stage sorts by the database enum: it must follow the pipeline.
    expect(stages).toEqual([...PIPELINE, ProjectStage.SUSPENDED, ProjectStage.CANCELLED]);
  });

  it("should describe each ProjectStage value with the stage's Chinese name and meaning", () => {
    const type = schema.getType('ProjectStage');
    expect(isEnumType(type)).toBe(true);
    const described = Object.fromEntries(
      (type as GraphQLEnumType).getValues().map((v) => [v.name, v.description]),
    );
    expect(described).toEqual(
      Object.fromEntries(
        stages.map((s) => [s, `${STAGE_TERMS[s].zh} / ${STAGE_TERMS[s].meaning}`]),
      ),
    );
    expect(described.APPROVED).toBe('审批/备案 / Approval or filing done.');
  });

  it('should write the CSV milestone headers with the same names, and read the other spellings', () => {
    const milestoneLabels = PROJECT_COLUMNS.filter((c) => c.key.startsWith('reached.')).map(
      (c) => c.label,
    );
    expect(milestoneLabels).toEqual(PIPELINE.map((s) => `${STAGE_TERMS[s].zh}日期`));
    for (const s of stages) expect(readStage(STAGE_TERMS[s].zh, 'stage')).toBe(s);
    for (const spelling of ['审批/备案', '审批备案', '审批', '备案'])
      expect(readStage(spelling, 'stage')).toBe(ProjectStage.APPROVED);
    expect(mapHeader(['code', '审批备案日期'], PROJECT_COLUMNS, ['code'])).toEqual([
      'code',
      'reached.APPROVED',
    ]);
  });

  it('should serve the wall the order and names, and the wall script should have none of its own', () => {
    const served = JSON.parse(wallVocabulary());
    expect(served.pipeline).toEqual(PIPELINE);
    expect(served.stages).toEqual(stages);
    for (const lang of ['zh', 'en'] as const) {
      expect(served.stageNames[lang]).toEqual(
        Object.fromEntries(stages.map((s) => [s, STAGE_TERMS[s][lang]])),
      );
    }
    const script = readFileSync(new URL('../src/wall/wall.js', import.meta.url), 'utf8');
    // The pipeline's stages are never listed (SUSPENDED and CANCELLED are shown apart, by name).
    for (const s of PIPELINE) expect(script, `wall.js lists ${s}`).not.toContain(`'${s}'`);
    for (const s of stages) {
      expect(script, `wall.js names ${s}`).not.toContain(`'${STAGE_TERMS[s].zh}'`);
    }
  });
});
