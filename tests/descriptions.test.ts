/**
 * GraphiQL's docs explain the domain: every type, field, argument, input field and enum value of
 * the built schema has a description, and the hub's own ones give the Chinese term beside the
 * English meaning ("项目阶段 / The district's project pipeline…"). Introspection types and the
 * built-in scalars are GraphQL's own and skipped.
 */
import {
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';

/** A CJK character: the Chinese term. */
const chinese = /[\u3400-\u9fff]/;
/** A Latin letter: the English meaning. */
const english = /[A-Za-z]/;

interface Described {
  /** `Type`, `Type.field`, `Type.field(arg)` or `Enum.VALUE`. */
  path: string;
  description: string | null | undefined;
}

function ownTypes(): GraphQLNamedType[] {
  return Object.values(schema.getTypeMap()).filter(
    (t) => !isIntrospectionType(t) && !isSpecifiedScalarType(t),
  );
}

/** Everything in the schema that can carry a description. */
function describedThings(): Described[] {
  const out: Described[] = [];
  for (const type of ownTypes()) {
    out.push({ path: type.name, description: type.description });
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        out.push({ path: `${type.name}.${field.name}`, description: field.description });
        for (const arg of field.args)
          out.push({
            path: `${type.name}.${field.name}(${arg.name})`,
            description: arg.description,
          });
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        out.push({ path: `${type.name}.${field.name}`, description: field.description });
    } else if (isEnumType(type)) {
      for (const value of type.getValues())
        out.push({ path: `${type.name}.${value.name}`, description: value.description });
    }
  }
  return out;
}

describe('schema descriptions', () => {
  const things = describedThings();

  it('should walk the whole schema', () => {
    const names = ownTypes().map((t) => t.name);
    for (const name of [
      'Query',
      'Project',
      'ProjectStage',
      'Dashboard',
      'PageInfo',
      'Node',
      'ProjectFilter',
      'Decimal',
    ]) {
      expect(names).toContain(name);
    }
    expect(things.length).toBeGreaterThan(400);
  });

  it('should describe every type, field, argument, input field and enum value', () => {
    const missing = things.filter((t) => !t.description?.trim()).map((t) => t.path);
    expect(missing, `without a description:\n${missing.join('\n')}`).toEqual([]);
  });

  it('should give the Chinese term and the English meaning in each description', () => {
    const monolingual = things
      .filter((t) => t.description && !(chinese.test(t.description) && english.test(t.description)))
      .map((t) => `${t.path}: ${t.description}`);
    expect(monolingual, `not bilingual:\n${monolingual.join('\n')}`).toEqual([]);
  });

  it('should describe the members of every union', () => {
    for (const type of ownTypes().filter(isUnionType)) {
      for (const member of type.getTypes())
        expect(member.description, `${type.name} member ${member.name}`).toBeTruthy();
    }
  });
});
