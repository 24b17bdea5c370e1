// JSON text exactly as Python's `json.dumps(value, sort_keys=True)` writes it (ASCII only), for the
// hashes the harness recomputes in Python: the environment fingerprint and a result's sha256.
// Numbers are written as Python writes the value it reads back from this runner's JSON output:
// integers as integers, every other number in Python's float repr.

/** Python's repr of a float, from JavaScript's shortest round-trip digits. */
function pythonFloat(x) {
  const [mantissa, power] = x.toExponential().split("e");
  const exponent = Number(power);
  const sign = x < 0 ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    return `${sign}${digits.slice(0, exponent + 1).padEnd(exponent + 1, "0")}.${digits.slice(exponent + 1) || "0"}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
  return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

function number(x) {
  if (!Number.isFinite(x)) return "null"; // as JSON.stringify writes it
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? String(x) : pythonFloat(x);
}

/** `json.dumps(value, sort_keys=True)`, or with `separators=(",", ":")` when `compact`. */
export function pythonJson(value, compact = false) {
  const [comma, colon] = compact ? [",", ":"] : [", ", ": "];
  const write = (item) => {
    if (item === null || item === undefined) return "null";
    if (typeof item === "number") return number(item);
    if (typeof item === "string") {
      return JSON.stringify(item).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    }
    if (typeof item !== "object") return JSON.stringify(item);
    if (Array.isArray(item)) return `[${item.map(write).join(comma)}]`;
    const keys = Object.keys(item).filter((key) => item[key] !== undefined).sort();
    return `{${keys.map((key) => `${write(key)}${colon}${write(item[key])}`).join(comma)}}`;
  };
  return write(value);
}
