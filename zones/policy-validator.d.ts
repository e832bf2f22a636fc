// Types of dist/zones/policy-validator.js, which scripts/gen-policy-validator.mjs generates from
// policy.schema.json at build time (ajv standalone code).
import type { ErrorObject } from 'ajv';

export interface PolicyValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export declare const validate: PolicyValidator;
export default validate;

/** The parts of a JSON Schema node zones/policy/schema-keys.ts walks. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
}
/** policy.schema.json without its descriptions. */
export declare const schemaShape: SchemaNode;
