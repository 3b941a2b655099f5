// zod → JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1 and of MCP tool
// schemas) through zod-openapi, so the OpenAPI document and the MCP tool list
// describe the request schemas the HTTP handlers validate with, in one way.
import type { z } from 'zod';
import { createSchema, type CreateDocumentOptions, type oas31 } from 'zod-openapi';

/**
 * Two corrections to zod's rendering:
 * - zod cannot see through a transform, so our case-insensitive enums
 *   (`string → toLowerCase()/toUpperCase() → enum`) would come out as a bare
 *   string. Inputs document them as their lower-case values: the form every
 *   answer uses (SPEC §4), and one the server always accepts.
 * - zod closes every object in output mode; answers may gain fields, so only
 *   a strictObject keeps `additionalProperties: false` there.
 */
export const schemaOverride: NonNullable<CreateDocumentOptions['override']> = (ctx) => {
  const def = ctx.zodSchema._zod.def;
  if (ctx.io === 'output' && def.type === 'object' && !def.catchall && ctx.jsonSchema.additionalProperties === false) {
    delete ctx.jsonSchema.additionalProperties;
  }
  if (ctx.io !== 'input' || def.type !== 'pipe') return;
  const pipe = ctx.zodSchema as z.core.$ZodPipe;
  const target = pipe._zod.def.out as z.core.$ZodTypes;
  const source = pipe._zod.def.in as z.core.$ZodTypes;
  if (target._zod.def.type !== 'enum' || !isTransformedString(source)) return;
  const values = Object.values((target as z.core.$ZodEnum)._zod.def.entries).map((value) => String(value).toLowerCase());
  ctx.jsonSchema.enum = [...new Set(values)];
  ctx.jsonSchema.description ??= 'Case-insensitive.';
};

function isTransformedString(schema: z.core.$ZodTypes): boolean {
  if (schema._zod.def.type !== 'pipe') return false;
  const def = (schema as z.core.$ZodPipe)._zod.def;
  return (def.in as z.core.$ZodTypes)._zod.def.type === 'string' && (def.out as z.core.$ZodTypes)._zod.def.type === 'transform';
}

export const openApiVersion = '3.1.0';

/** The JSON Schema of what a request may send for `schema` (an MCP tool's `inputSchema`). */
export function inputJsonSchema(schema: z.ZodType): oas31.SchemaObject {
  const { schema: json, components } = createSchema(schema, { io: 'input', openapiVersion: openApiVersion, opts: { override: schemaOverride } });
  if ('$ref' in json || Object.keys(components).length > 0) {
    throw new Error('request schemas are documented inline: remove the .meta({ id }) that made a $ref');
  }
  return json;
}
