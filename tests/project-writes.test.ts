/**
 * Project writes called as services (the CSV import and scripts call them without GraphQL, so
 * without the schema's required fields) refuse bad input with one ValidationError naming every
 * field, as every other write does, and write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { ValidationError } from '../src/services/errors.ts';
import { type CreateProjectInput, createProject, updateProject } from '../src/services/projects.ts';
import { openTestDatabase } from './helpers/db.ts';

describe('project write services', () => {
  let db: Database;
  const now = () => new Date('2025-09-30T04:00:00Z');

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await db?.close();
  });

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );

  it('should refuse a new project without a code or name with one ValidationError, writing nothing', async () => {
    const input: Partial<CreateProjectInput> = { plannedInvestment: null, nameEn: 'No code' };
    const error = await rejection(
      createProject({ prisma: db.prisma, now }, input as CreateProjectInput, 'test:editor'),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { path: ['input', 'code'], message: 'code must not be empty' },
      { path: ['input', 'name'], message: 'name must not be empty' },
    ]);
    expect(await db.prisma.project.count()).toBe(0);
  });

  it('should refuse clearing a code or a name, and name both at once', async () => {
    const { project } = await createProject(
      { prisma: db.prisma, now },
      { code: 'PW-1', name: '项目一' },
      'test:editor',
    );
    const error = await rejection(
      updateProject({ prisma: db.prisma }, project.id, { code: null, name: ' ' }, 'test:editor'),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.path.at(-1))).toEqual(['code', 'name']);
    expect(await db.prisma.project.findUniqueOrThrow({ where: { id: project.id } })).toEqual(
      project,
    );
  });
});
