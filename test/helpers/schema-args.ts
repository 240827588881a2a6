/** The parts of a tool's JSON Schema (as tools/list shows it) that tests derive arguments from. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export function typesOf(schema: JsonSchema): string[] {
  if (schema.type) return Array.isArray(schema.type) ? schema.type : [schema.type];
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return [...new Set(options.flatMap(typesOf))];
  return [];
}

/**
 * A value the schema accepts that names nothing existing: strings become `absent` (or the first
 * stand-in that fits a pattern), so a call built from these reaches Podman and touches nothing.
 */
export function plausibleValue(schema: JsonSchema, absent: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options?.[0]) return plausibleValue(options[0], absent);
  switch (typesOf(schema)[0]) {
    case 'string': {
      const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
      const standIns = [absent, `/${absent}`, `${absent}:1`, `${absent}/${absent}`, '1', '1m'];
      return standIns.find((s) => !pattern || pattern.test(s)) ?? absent;
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum === undefined ? 1 : schema.exclusiveMinimum + 1);
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        plausibleValue(schema.items ?? {}, absent),
      );
    case 'object':
      return requiredArgs(schema, absent);
    default:
      return absent;
  }
}

/** Arguments with every required property filled by plausibleValue(). */
export function requiredArgs(schema: JsonSchema, absent: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? [])
    out[name] = plausibleValue(schema.properties?.[name] ?? {}, absent);
  return out;
}
