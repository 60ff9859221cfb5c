/**
 * GET /docs: a self-contained HTML page rendered from the OpenAPI document (no CDN, so it works
 * offline on a fresh clone).
 */

type Json = Record<string, unknown>;

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export function renderDocsPage(doc: Json): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const ops: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const responses = Object.entries((op.responses ?? {}) as Record<string, { description?: string }>)
        .map(([status, r]) => `<li><code>${status}</code> ${escapeHtml(r.description ?? "")}</li>`)
        .join("");
      const body = (op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)?.content;
      const bodies = body
        ? Object.entries(body)
            .map(([type, c]) => `<li><code>${escapeHtml(type)}</code> ${schemaLink(c.schema?.$ref)}</li>`)
            .join("")
        : "";
      ops.push(
        `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>` +
          `<p>${escapeHtml(String(op.summary ?? ""))}</p>` +
          (op.description ? `<p>${escapeHtml(String(op.description))}</p>` : "") +
          (bodies ? `<h4>Body</h4><ul>${bodies}</ul>` : "") +
          `<h4>Responses</h4><ul>${responses}</ul></section>`,
      );
    }
  }
  const schemaSections = Object.entries(schemas)
    .map(([id, s]) => `<section id="schema-${escapeHtml(id)}"><h3>${escapeHtml(id)}</h3><pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></section>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
pre{background:#f5f5f5;padding:1em;overflow:auto}.m{background:#222;color:#fff;padding:0 .4em;border-radius:3px}
section{border-top:1px solid #ddd}</style></head>
<body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description ?? "")}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<h2>Operations</h2>${ops.join("")}<h2>Schemas</h2>${schemaSections}</body></html>`;
}

function schemaLink(ref: string | undefined): string {
  if (!ref) return "";
  const id = ref.split("/").pop() ?? "";
  return `<a href="#schema-${escapeHtml(id)}">${escapeHtml(id)}</a>`;
}
