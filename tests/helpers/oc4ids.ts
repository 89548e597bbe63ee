/**
 * Checks for the OC4IDS export, in two layers.
 *
 * Always: the fields the hub's export must have, and every code in it from the codes it uses of
 * each codelist (tests/fixtures/oc4ids-codes.json), as a JSON Schema of this repository's own.
 *
 * When `OC4IDS_SCHEMA_DIR` names a folder holding the standard's 0.9.5 schema files
 * (project-package-schema.json, project-schema.json, codelists/*.csv; not part of this repository,
 * `.ci/run` finds them): validation against the official schemas too, and the codes above against
 * the official codelists. Without it those checks are skipped with a printed reason, as the
 * PostgreSQL tests are without TEST_DATABASE_URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import codes from '../fixtures/oc4ids-codes.json' with { type: 'json' };

/** The codelists the export uses, with the codes it uses of each. */
const { $comment: _about, ...lists } = codes;
export type Codelist = keyof typeof lists;
export const usedCodes: Record<Codelist, readonly string[]> = lists;

/** The folder of the official schema files, when set. */
export const oc4idsSchemaDir = process.env.OC4IDS_SCHEMA_DIR || undefined;

const OFFICIAL_FILES = ['project-package-schema.json', 'project-schema.json', 'codelists'];

let warned = false;
/**
 * Why the checks against the official files are skipped (printed once), or undefined when they
 * run. A folder that is set but incomplete is an error, not a skip.
 */
export function officialSkipReason(): string | undefined {
  if (oc4idsSchemaDir) {
    const missing = OFFICIAL_FILES.filter((f) => !existsSync(path.join(oc4idsSchemaDir, f)));
    if (missing.length)
      throw new Error(`OC4IDS_SCHEMA_DIR=${oc4idsSchemaDir} has no ${missing.join(', ')}`);
    return undefined;
  }
  const reason =
    'OC4IDS_SCHEMA_DIR is unset: validation against the official OC4IDS schema files skipped';
  if (!warned) {
    warned = true;
    console.warn(reason);
  }
  return reason;
}

const str = { type: 'string', minLength: 1 };
const dateTime = { type: 'string', format: 'date-time' };
const code = (list: Codelist) => ({ type: 'string', enum: [...usedCodes[list]] });
const object = (required: string[], properties: Record<string, unknown> = {}) => ({
  type: 'object',
  required,
  properties,
});
const list = (items: unknown) => ({ type: 'array', minItems: 1, items });
const value = object(['amount', 'currency'], {
  amount: { type: 'number' },
  currency: code('currency'),
});
const partyRef = object(['id', 'name'], { id: str, name: str });

/** What every package of the hub's export has (the standard asks for less: a project needs only an id). */
const exportSchema = object(['version', 'uri', 'publishedDate', 'publisher', 'projects'], {
  version: { type: 'string', enum: ['0.9'] },
  uri: { type: 'string', format: 'uri' },
  publishedDate: dateTime,
  publisher: object(['name'], { name: str }),
  projects: list(
    object(
      [
        'id',
        'updated',
        'language',
        'identifiers',
        'publicAuthority',
        'title',
        'status',
        'locations',
        'parties',
        'milestones',
      ],
      {
        id: str,
        updated: dateTime,
        language: str,
        identifiers: list(object(['id', 'scheme'], { id: str, scheme: str })),
        publicAuthority: partyRef,
        title: str,
        description: str,
        status: code('projectStatus'),
        sector: list(code('projectSector')),
        locations: list(object(['id', 'description'], { id: str, description: str })),
        budget: object([], {
          amount: value,
          budgetBreakdowns: list(
            object(['id', 'budgetBreakdown'], {
              id: str,
              budgetBreakdown: list(
                object(['id', 'amount', 'sourceParty'], {
                  id: str,
                  amount: value,
                  period: object(['startDate', 'endDate'], {
                    startDate: dateTime,
                    endDate: dateTime,
                  }),
                  sourceParty: partyRef,
                  approvalDate: dateTime,
                }),
              ),
            }),
          ),
          finance: list(
            object(['id', 'value', 'financingParty', 'type'], {
              id: str,
              value,
              financingParty: partyRef,
              type: code('financingArrangementType'),
            }),
          ),
        }),
        parties: list(
          object(['id', 'name', 'roles'], { id: str, name: str, roles: list(code('partyRole')) }),
        ),
        milestones: list(
          object(['id', 'title', 'status', 'dateMet'], {
            id: str,
            title: str,
            type: code('milestoneType'),
            code: code('milestoneCode'),
            status: code('milestoneStatus'),
            dateMet: dateTime,
            dateModified: dateTime,
          }),
        ),
        completion: object(['endDate'], { endDate: dateTime, finalValue: value }),
      },
    ),
  ),
});

/** The always-run check: the fields the export must have and the codes it may use. */
export function exportValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(exportSchema);
}

const officialFile = (name: string) => {
  if (!oc4idsSchemaDir) throw new Error('OC4IDS_SCHEMA_DIR is unset');
  return readFileSync(path.join(oc4idsSchemaDir, name), 'utf8');
};

/** The official OC4IDS 0.9.5 package validator: draft-04, formats, the project schema added first. */
export function officialValidator(): ValidateFunction {
  // Non-strict: the schemas carry the standard's own keywords (`codelist`, `openCodelist`).
  const ajv = new AjvDraft04({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(officialFile('project-schema.json')));
  return ajv.compile(JSON.parse(officialFile('project-package-schema.json')));
}

/** The codes of an official codelist (its `Code` column). */
export function officialCodes(codelist: Codelist): Set<string> {
  const rows: Record<string, string>[] = parse(
    officialFile(path.join('codelists', `${codelist}.csv`)),
    { columns: true },
  );
  return new Set(rows.map((r) => r.Code ?? ''));
}
