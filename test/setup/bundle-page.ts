/**
 * An HTTP handler serving one bundled test page: `/` (with any query) is a page that loads
 * `/app.js`, which is `bundle`. Used by the children that serve pages inside a network namespace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export function bundlePage(
  bundle: Uint8Array,
  title: string
): (req: IncomingMessage, res: ServerResponse) => void {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="/app.js"></script>`
  return (req, res) => {
    if (req.url?.startsWith('/app.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(bundle)
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(html)
    } else {
      res.writeHead(404).end()
    }
  }
}
