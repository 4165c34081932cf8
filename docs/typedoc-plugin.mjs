// @ts-check
/**
 * TypeDoc plugin: the `notExported` check for a workspace of packages.
 *
 * TypeDoc's own `validation.notExported` only looks at types of the project's package (here the
 * private root, `orchard`), so in a workspace it never fires for `@orchard/*` sources. This plugin
 * runs the same check over every package listed in `packagesRequiringDocumentation`: a public
 * signature that names a type the reference does not include (not exported from the entry point,
 * and not marked `@internal`) is a warning, which `treatWarningsAsErrors` turns into a failed build.
 * Fix it by exporting the type (`export type { X }` from the package's index) or, when it truly is
 * an implementation detail, by marking it — or the member that exposes it — `@internal`.
 */
import { readFileSync } from 'node:fs'
import { Application, makeRecursiveVisitor, ReflectionKind } from 'typedoc'

/**
 * Whether the declaration at `pos` in `fileName` carries a doc comment with `@internal` — a helper
 * type (say, the inference machinery behind a codec's types) that is deliberately not exported.
 * @param {string} fileName
 * @param {number} pos
 */
function markedInternal(fileName, pos) {
  let text
  try {
    text = readFileSync(fileName, 'utf8')
  } catch {
    return false
  }
  let before = text.slice(0, pos).trimEnd()
  // step over line comments between the doc comment and the declaration (`// biome-ignore ...`)
  for (let line = before.slice(before.lastIndexOf('\n') + 1); line.trimStart().startsWith('//'); ) {
    before = before.slice(0, before.lastIndexOf('\n')).trimEnd()
    line = before.slice(before.lastIndexOf('\n') + 1)
  }
  if (!before.endsWith('*/')) return false
  const start = before.lastIndexOf('/**')
  return start !== -1 && /@internal\b/.test(before.slice(start))
}

/** @param {Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue('validation').notExported) return
    const packages = new Set(app.options.getValue('packagesRequiringDocumentation'))
    const warned = new Set()
    /** @type {import('typedoc').Reflection} */
    let owner = project
    const visitor = makeRecursiveVisitor({
      reference(type) {
        if (type.reflection || type.externalUrl || type.isIntentionallyBroken()) return
        const id = type.symbolId
        if (!id || !packages.has(id.packageName) || project.symbolIdHasBeenRemoved(id)) return
        if (markedInternal(id.fileName, id.pos)) return
        const key = id.getStableKey()
        if (warned.has(key)) return
        warned.add(key)
        app.logger.validationWarning(
          `${type.qualifiedName}, defined in ${id.packageName}/${id.packagePath}, is referenced by ` +
            `${owner.getFriendlyFullName()} but not included in the documentation`
        )
      }
    })
    for (const reflection of Object.values(project.reflections)) {
      owner = reflection
      const r = /** @type {any} */ (reflection)
      // what a reflection shows: its type, a type parameter's constraint and default, what it
      // overrides or implements; not `extends` (a base class's members are inlined into the child)
      r.type?.visit(visitor)
      if (reflection.kindOf(ReflectionKind.TypeParameter)) r.default?.visit(visitor)
      r.overwrites?.visit(visitor)
      for (const t of r.implementedTypes ?? []) t.visit(visitor)
    }
  })
}
