// SPDX-License-Identifier: Apache-2.0
/**
 * Who reads each field of the configuration Model (src/config/model.ts): every property declared in
 * model.ts, and the files outside src/config/ whose code reads it (a property access, `x['field']`,
 * or destructuring), found by TypeScript's own checker, so a field reached through a union, a
 * Pick<> or a destructured parameter counts and a field of the same name on another type does not.
 * Used by model-consumers.test.ts. Reads the sources (test helper).
 */
import ts from 'typescript';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface FieldReaders {
  /** `Interface.field` (nested object types: `Interface.field.sub`). */
  field: string;
  /** Repository-relative files outside src/config/ that read it. */
  readers: Set<string>;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every property signature of model.ts, named by its enclosing interface or type alias. */
function modelFields(model: ts.SourceFile): Map<ts.Node, string> {
  const out = new Map<ts.Node, string>();
  const walk = (node: ts.Node, prefix: string | undefined): void => {
    let next = prefix;
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) next = node.name.text;
    if (ts.isPropertySignature(node) && prefix !== undefined && ts.isIdentifier(node.name)) {
      next = `${prefix}.${node.name.text}`;
      out.set(node, next);
    }
    ts.forEachChild(node, (c) => walk(c, next));
  };
  walk(model, undefined);
  return out;
}

export function modelReaders(root: string): FieldReaders[] {
  const files = sourceFiles(join(root, 'src'));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const modelPath = join(root, 'src/config/model.ts');
  const model = program.getSourceFile(modelPath);
  if (!model) throw new Error(`cannot read ${modelPath}`);
  const fields = modelFields(model);
  const readers = new Map<ts.Node, Set<string>>([...fields.keys()].map((n) => [n, new Set<string>()]));
  const note = (sym: ts.Symbol | undefined, file: string): void => {
    if (!sym) return;
    for (const s of [sym, ...checker.getRootSymbols(sym)])
      for (const d of s.declarations ?? []) readers.get(d)?.add(file);
  };
  // only names a field has are worth asking the checker about (it is the slow part)
  const names = new Set([...fields.values()].map((f) => f.slice(f.lastIndexOf('.') + 1)));
  const configDir = join(root, 'src/config') + '/';
  // Compares old and new Models to plan a reload: reading a field there carries nothing out.
  const comparesOnly = new Set(['src/vrrp/reload-plan.ts']);
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(join(root, 'src') + '/') || sf.fileName.startsWith(configDir)) continue;
    const file = relative(root, sf.fileName);
    if (comparesOnly.has(file)) continue;
    // A file that reads a Model field names a type from src/config/ (the Model, or a function of the
    // config that returns one); asking the checker about the others would only cost time.
    if (!/from '(\.\.\/)+config\//.test(sf.text)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && !names.has(node.name.text)) {
        ts.forEachChild(node, visit);
        return;
      }
      if (ts.isPropertyAccessExpression(node)) note(checker.getSymbolAtLocation(node.name), file);
      else if (ts.isElementAccessExpression(node)) {
        // x['field'], or x[k] with k a union of field names (each of them is read)
        const keyType = checker.getTypeAtLocation(node.argumentExpression);
        const objType = checker.getTypeAtLocation(node.expression);
        for (const k of keyType.isUnion() ? keyType.types : [keyType])
          if (k.isStringLiteral()) note(objType.getNonNullableType().getProperty(k.value), file);
      } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name)) note(checker.getTypeAtLocation(node.parent).getProperty(name.text), file);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...fields].map(([node, field]) => ({ field, readers: readers.get(node) ?? new Set() }));
}
