import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ecsSdk from '@aws-sdk/client-ecs';
// The SDK's own reading of its schemas (the client above depends on it): what a member targets.
import { NormalizedSchema } from '@smithy/core/schema';
import * as ts from 'typescript';

/**
 * Checks ECS wire responses against ECS's published service model, as the AWS SDK for JavaScript
 * ships it: the Smithy schemas in @aws-sdk/client-ecs (one `<Shape>$` export per structure and
 * operation) give each structure's members and what they target; its .d.ts files give which
 * string members are enums, and their values. The SDK itself is lenient (it drops members it does
 * not know and takes numbers for strings), so this is what catches a response ECS would not send.
 */

const sdkRoot = dirname(require.resolve('@aws-sdk/client-ecs/package.json'));
const modelsDirectory = join(sdkRoot, 'dist-types', 'models');

const parseDeclarations = (file: string) =>
  ts.createSourceFile(file, readFileSync(join(modelsDirectory, file), 'utf8'), ts.ScriptTarget.Latest);

/** enums.d.ts: `export declare const Name: { readonly KEY: "value"; ... }` → Name → values. */
const readEnums = (): Map<string, ReadonlySet<string>> => {
  const enums = new Map<string, ReadonlySet<string>>();
  for (const statement of parseDeclarations('enums.d.ts').statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!declaration.type || !ts.isTypeLiteralNode(declaration.type) || !ts.isIdentifier(declaration.name)) continue;
      const values = declaration.type.members.flatMap((member) =>
        ts.isPropertySignature(member) &&
        member.type &&
        ts.isLiteralTypeNode(member.type) &&
        ts.isStringLiteral(member.type.literal)
          ? [member.type.literal.text]
          : [],
      );
      enums.set(declaration.name.text, new Set(values));
    }
  }
  return enums;
};

/** The enum a member's declared type names: `Enum`, `Enum[]`, with `| undefined` around it. */
const enumNameOf = (type: ts.TypeNode | undefined): string | undefined => {
  if (!type) return undefined;
  if (ts.isUnionTypeNode(type)) {
    const defined = type.types.filter((member) => member.kind !== ts.SyntaxKind.UndefinedKeyword);
    return defined.length === 1 ? enumNameOf(defined[0]) : undefined;
  }
  if (ts.isArrayTypeNode(type)) return enumNameOf(type.elementType);
  return ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? type.typeName.text : undefined;
};

/** "Structure.member" → the values of the enum it (or, for a list, each element) holds. */
const readEnumMembers = (): Map<string, ReadonlySet<string>> => {
  const enums = readEnums();
  const members = new Map<string, ReadonlySet<string>>();
  for (const file of readdirSync(modelsDirectory).filter((name) => /^models_\d+\.d\.ts$/.test(name))) {
    for (const statement of parseDeclarations(file).statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue;
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
        const values = enums.get(enumNameOf(member.type) ?? '');
        if (values) members.set(`${statement.name.text}.${member.name.text}`, values);
      }
    }
  }
  return members;
};

let enumMembers: Map<string, ReadonlySet<string>> | undefined;

/** The output structure of an operation ("DescribeClusters"), as the SDK's schema defines it. */
export const outputSchema = (operation: string): NormalizedSchema => {
  const schema = (ecsSdk as Record<string, unknown>)[`${operation}$`];
  // A StaticOperationSchema (@smithy/types): [9, namespace, name, traits, input, output].
  if (!Array.isArray(schema) || schema[0] !== 9) throw new Error(`@aws-sdk/client-ecs has no operation ${operation}`);
  return NormalizedSchema.of(schema[5]);
};

const jsonType = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

const isObject = (value: unknown): value is Record<string, unknown> => jsonType(value) === 'object';

/** Every way `value` departs from `schema`, as "path: problem" lines. */
const violations = (
  schema: NormalizedSchema,
  value: unknown,
  path: string,
  allowed: ReadonlySet<string> | undefined,
): string[] => {
  const wrongType = (expected: string) => [`${path}: expected ${expected}, got ${jsonType(value)}`];
  if (value === null) return [`${path}: null (ECS omits a member that has no value)`];
  if (schema.isStructSchema() || schema.isUnionSchema()) {
    if (!isObject(value)) return wrongType(`structure ${schema.getName()}`);
    const members = schema.getMemberSchemas();
    return Object.entries(value).flatMap(([name, member]) =>
      Object.hasOwn(members, name)
        ? violations(members[name], member, `${path}.${name}`, enumMembers?.get(`${schema.getName()}.${name}`))
        : [`${path}.${name}: not a member of ${schema.getName()}`],
    );
  }
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) return wrongType(`list ${schema.getName()}`);
    return value.flatMap((element, index) => violations(schema.getValueSchema(), element, `${path}[${index}]`, allowed));
  }
  if (schema.isMapSchema()) {
    if (!isObject(value)) return wrongType(`map ${schema.getName()}`);
    return Object.entries(value).flatMap(([key, entry]) =>
      violations(schema.getValueSchema(), entry, `${path}.${key}`, undefined),
    );
  }
  if (schema.isStringSchema()) {
    if (typeof value !== 'string') return wrongType('string');
    return allowed && !allowed.has(value) ? [`${path}: "${value}" is not one of ${[...allowed].join(', ')}`] : [];
  }
  // The JSON 1.1 protocol sends timestamps as epoch seconds.
  if (schema.isNumericSchema() || schema.isTimestampSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema()) {
    return typeof value === 'number' && Number.isFinite(value) ? [] : wrongType('number');
  }
  if (schema.isBooleanSchema()) return typeof value === 'boolean' ? [] : wrongType('boolean');
  if (schema.isBlobSchema()) return typeof value === 'string' ? [] : wrongType('base64 string');
  // A document holds any JSON.
  return [];
};

/**
 * What in a response body (the parsed JSON) ECS's model forbids for that operation's output:
 * members the structure does not have, nulls, wrong JSON types and enum values outside the enum.
 * Empty when the body conforms.
 */
export const modelViolations = (operation: string, body: unknown): string[] => {
  enumMembers ??= readEnumMembers();
  return violations(outputSchema(operation), body, operation, undefined);
};
