// The members js/types.d.ts declares, per exported class (instance and static) and for the
// Serializer object, read with the TypeScript compiler API.
import fs from "node:fs";
import ts from "typescript";

export function declaredMembers(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out = {};
  const nameOf = (m) => (m.name && ts.isIdentifier(m.name) ? m.name.text : null);
  for (const stmt of source.statements) {
    if (ts.isClassDeclaration(stmt) && stmt.name) {
      const entry = { instance: [], static: [] };
      for (const m of stmt.members) {
        const name = nameOf(m);
        if (!name) continue;
        const isStatic = (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0;
        const list = isStatic ? entry.static : entry.instance;
        if (!list.includes(name)) list.push(name);
      }
      out[stmt.name.text] = entry;
    } else if (ts.isVariableStatement(stmt)) {
      for (const d of stmt.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.type && ts.isTypeLiteralNode(d.type)) {
          out[d.name.text] = { instance: d.type.members.map(nameOf).filter(Boolean), static: [] };
        }
      }
    }
  }
  return out;
}
