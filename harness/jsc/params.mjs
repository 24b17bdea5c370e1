// Declared job parameters: type, default and bounds, checked the way the harness checks them.

import { JobError } from "./errors.mjs";
import { formatCount } from "./protocol.mjs";

const KINDS = {
  int: (value) => Number.isInteger(value),
  float: (value) => typeof value === "number" && Number.isFinite(value),
  bool: (value) => typeof value === "boolean",
  str: (value) => typeof value === "string",
  dict: (value) => value !== null && typeof value === "object" && !Array.isArray(value),
};

/** A parameter: `kind` is int, float, bool, str or dict; a dict takes only `keys`, each a parameter. */
export function param(name, kind, defaultValue, help, { minimum, maximum, choices, keys } = {}) {
  return { name, kind, default: defaultValue, help, minimum, maximum, choices, keys };
}

/** `value` when it is valid for `spec`; JobError naming the parameter otherwise. */
export function checkParam(spec, value) {
  const shown = JSON.stringify(value)?.slice(0, 60);
  if (!KINDS[spec.kind](value)) throw new JobError(`params.${spec.name} must be ${spec.kind}, got ${shown}`);
  if (spec.minimum !== undefined && value < spec.minimum) {
    throw new JobError(`params.${spec.name} must be >= ${spec.minimum}, got ${shown}`);
  }
  if (spec.maximum !== undefined && value > spec.maximum) {
    throw new JobError(`params.${spec.name} must be <= ${formatCount(spec.maximum)}, got ${shown}`);
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new JobError(`params.${spec.name} must be one of ${spec.choices.join(", ")}, got ${shown}`);
  }
  if (spec.kind === "dict") {
    const members = new Map(spec.keys.map((key) => [key.name, key]));
    for (const [key, item] of Object.entries(value)) {
      if (!members.has(key)) {
        const takes = [...members.keys()].join(", ") || "no keys";
        throw new JobError(`params.${spec.name} takes ${takes}, not ${JSON.stringify(key)}`);
      }
      checkParam({ ...members.get(key), name: `${spec.name}.${key}` }, item);
    }
  }
  return value;
}
