// Validates AsyncAPI documents with the AsyncAPI project's own parser; prints one JSON line per
// document ({file, errors, warnings}) and exits 1 if any document has an error.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const diagnostics = await parser.validate(readFileSync(file, "utf8"), { source: file });
  const shown = (d) => ({ code: d.code, message: d.message, path: d.path.join(".") });
  const errors = diagnostics.filter((d) => d.severity === 0).map(shown);
  const warnings = diagnostics.filter((d) => d.severity === 1).map(shown);
  if (errors.length) failed = true;
  console.log(JSON.stringify({ file, errors, warnings }));
}
process.exit(failed ? 1 : 0);
