/**
 * The documentation holds: `pnpm run docs` (TypeDoc, `typedoc.json`) builds the API reference of every
 * package with no warning — every export documented, every `{@link}` resolved, every type a public
 * signature names included — and every relative link in the repository's Markdown resolves to a
 * file inside the repository.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const run = promisify(execFile)

describe('API reference', () => {
  it('pnpm run docs builds with no warnings', { timeout: 300_000 }, async () => {
    // what `pnpm run docs` runs, written to a temporary folder instead of docs/api
    const out = mkdtempSync(join(tmpdir(), 'orchard-docs-'))
    try {
      const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc')
      let stdout = ''
      let code = 0
      try {
        ;({ stdout } = await run(process.execPath, [typedoc, '--out', out], {
          cwd: ROOT,
          env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
          maxBuffer: 64 * 1024 * 1024
        }))
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string }
        code = e.code ?? 1
        stdout = `${e.stdout ?? ''}${e.stderr ?? ''}`
      }
      const problems = stdout.split('\n').filter((line) => /\[(warning|error)\]/.test(line))
      expect(problems, stdout).toEqual([])
      expect(code, stdout).toBe(0)
      expect(existsSync(join(out, 'index.html'))).toBe(true)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})

/** Folders that hold generated, installed or scratch files rather than the repository's own. */
const SKIP = new Set([
  'node_modules',
  'dist',
  'build',
  '.git',
  '.tmp',
  '.scratch',
  'coverage',
  'test-results'
])

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (SKIP.has(entry.name) || relative(ROOT, path) === join('docs', 'api')) continue
      markdownFiles(path, out)
    } else if (entry.name.endsWith('.md')) {
      out.push(path)
    }
  }
  return out
}

/** Link targets of a Markdown text: inline links and images, reference definitions, HTML href/src. */
function linkTargets(markdown: string): string[] {
  const text = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '') // fenced code
    .replace(/`[^`\n]*`/g, '') // inline code
  const targets: string[] = []
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)) targets.push(m[1]!)
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(m[1]!)
  for (const m of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g)) targets.push(m[1]!)
  return targets
}

describe('Markdown links', () => {
  const files = markdownFiles(ROOT)

  it('finds the documentation', () => {
    const names = files.map((f) => relative(ROOT, f))
    for (const must of ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'docs/architecture.md']) {
      expect(names).toContain(must)
    }
  })

  it('every relative link resolves to a file inside the repository', () => {
    const broken: string[] = []
    for (const file of files) {
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue // URL, anchor
        const path = decodeURIComponent(target.split(/[#?]/)[0]!)
        const abs = path.startsWith('/') ? join(ROOT, path) : resolve(dirname(file), path)
        const inside = relative(ROOT, abs)
        if (inside.startsWith('..') || isAbsolute(inside)) {
          broken.push(`${relative(ROOT, file)}: ${target} leaves the repository`)
        } else if (!existsSync(abs)) {
          broken.push(`${relative(ROOT, file)}: ${target} does not exist`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('the README links to the architecture page', () => {
    expect(linkTargets(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toContain('docs/architecture.md')
  })
})
